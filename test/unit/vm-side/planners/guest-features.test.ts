// The layering rule for planners/ also matches their tests; 'assert' without the node: prefix passes it.
import assert from 'assert/strict';
import type { NetConfigDocument, Uplink } from '../../../../services/net-config';
import type { NetState } from '../../../../vm-side/planners/net-state';
import type { NftTableState } from '../../../../vm-side/planners/nft-state';
import { planGuestNetwork, planManagedGuestNetwork } from '../../../../vm-side/planners/plan-guest-network';
import { planMappedIpNat, MAPPED_IP_TABLE } from '../../../../vm-side/planners/plan-mapped-ip-nat';
import { planNetConfig, type NetConfigObserved } from '../../../../vm-side/planners/plan-net-config';
import { nmConnectionContent, planNmConnection } from '../../../../vm-side/planners/plan-nm-connection';
import { isProtectedListingName, planResolvConf } from '../../../../vm-side/planners/plan-resolv-conf';
import { parseResolvectlDns, planResolvedDns } from '../../../../vm-side/planners/plan-resolved-dns';
import { planDownstream } from '../../../../vm-side/planners/plan-downstream';
import { applyIpOps } from '../helpers/fake-kernel';

const MAC = '00:16:3e:5e:6c:00';
const uplink: Uplink = {
  mac: MAC,
  ip: '10.137.0.5',
  netmask: '255.255.255.255',
  gateway: '10.137.0.1',
  dns: ['10.139.1.1', '10.139.1.2'],
};
const v6 = { ip6: 'fd09:24ef:4179::a89:5', gateway6: 'fd09:24ef:4179::a89:1' };
const fresh: NetState = {
  links: [{ name: 'eth0', mac: MAC, up: false, mtu: 1500, group: 0, addresses: [] }],
  routes: [],
  neighbours: [],
};
const routesOf = (ops: ReturnType<typeof planGuestNetwork>['ops']) =>
  ops.flatMap((op) => (op.kind === 'route-replace' || op.kind === 'route-del' ? [`${op.kind} ${op.dst}`] : []));

describe('guest features in the planners', () => {
  describe('disable-default-route', () => {
    it('keeps the gateways reachable but installs no default route, IPv4 or IPv6', () => {
      const plan = planGuestNetwork({ ...uplink, ...v6, disableDefaultRoute: true }, fresh);
      assert.deepEqual(routesOf(plan.ops), ['route-replace 10.137.0.1/32', 'route-replace fd09:24ef:4179::a89:1/128']);
    });

    it('turned on live, removes the default route qnet installed, and only that', () => {
      const on = planGuestNetwork(uplink, fresh);
      const kernel = applyIpOps(fresh, on.ops);
      const withUserRoute: NetState = {
        ...kernel,
        routes: [
          ...kernel.routes,
          { dst: '203.0.113.0/24', dev: 'eth0', via: '10.137.0.1', onlink: true, kernel: false },
        ],
      };
      const off = planGuestNetwork({ ...uplink, disableDefaultRoute: true }, withUserRoute, uplink);
      assert.deepEqual(routesOf(off.ops), ['route-del 0.0.0.0/0']);
      const converged = applyIpOps(withUserRoute, off.ops);
      assert.deepEqual(planGuestNetwork({ ...uplink, disableDefaultRoute: true }, converged, uplink).ops, []);
    });
  });

  it('net.fake-netmask puts the address on with the wider prefix', () => {
    const plan = planGuestNetwork({ ...uplink, ip: '10.152.152.11', netmask: '255.255.255.0' }, fresh);
    assert.ok(plan.ops.some((op) => op.kind === 'addr-add' && op.cidr === '10.152.152.11/24'));
  });

  describe('disable-dns-server and protected files', () => {
    it('leaves resolv.conf with one empty line, as setup-ip does; a protected file is never written', () => {
      const off = { ...uplink, disableDnsServer: true as const };
      assert.equal(planResolvConf(off, { content: 'nameserver 10.139.1.1\n', protected: false }), '\n');
      assert.equal(planResolvConf(off, { content: '\n', protected: false }), undefined);
      assert.equal(planResolvConf(off, { content: 'x', protected: true }), undefined);
    });

    it('ignores package leftovers and backups among the listings, as is_protected_file does', () => {
      assert.deepEqual(['resolv', 'a.rpmsave', 'b~', 'c.rpmnew', 'd.rpmold', 'e.conf'].filter(isProtectedListingName), [
        'resolv',
        'e.conf',
      ]);
    });
  });

  describe('systemd-resolved', () => {
    it('sets the per-link servers where resolved runs, and nothing once they are there', () => {
      assert.deepEqual(planResolvedDns(uplink, 'eth0', { active: true, servers: [] }), {
        kind: 'set-dns',
        dev: 'eth0',
        servers: ['10.139.1.1', '10.139.1.2'],
      });
      assert.equal(planResolvedDns(uplink, 'eth0', { active: true, servers: ['10.139.1.1', '10.139.1.2'] }), undefined);
      assert.equal(planResolvedDns(uplink, 'eth0', { active: false, servers: [] }), undefined);
    });

    it('with disable-dns-server sets nothing, and reverts only servers qnet itself set before', () => {
      const off = { ...uplink, disableDnsServer: true as const };
      const ours = { active: true, servers: ['10.139.1.1', '10.139.1.2'] };
      assert.deepEqual(planResolvedDns(off, 'eth0', ours, uplink), { kind: 'revert', dev: 'eth0' });
      assert.equal(planResolvedDns(off, 'eth0', { active: true, servers: ['192.0.2.53'] }, uplink), undefined);
      assert.equal(planResolvedDns(off, 'eth0', ours), undefined);
    });

    it('reads `resolvectl dns DEV` output', () => {
      assert.deepEqual(parseResolvectlDns('Link 2 (eth0): 10.139.1.1 10.139.1.2\n'), ['10.139.1.1', '10.139.1.2']);
      assert.deepEqual(parseResolvectlDns('Link 2 (eth0):\n'), []);
      assert.deepEqual(parseResolvectlDns('Global: 192.0.2.1\n'), []);
    });
  });

  describe('NetworkManager profile', () => {
    // Expected texts: what upstream's configure_network_nm wrote for the same inputs (run once, kept here).
    it('writes the profile byte for byte as setup-ip does', () => {
      assert.equal(
        nmConnectionContent(uplink, 'eth0', MAC),
        '[802-3-ethernet]\nduplex=full\n\n[ethernet]\nmac-address=00:16:3e:5e:6c:00\n\n[connection]\n' +
          'id=VM uplink eth0\nuuid=de85f79b-8c3d-405f-a652-00163e5e6c00\ntype=802-3-ethernet\n' +
          '[ipv4]\nmethod=manual\nmay-fail=false\n\ndns=10.139.1.1;10.139.1.2\naddresses1=10.137.0.5;32;10.137.0.1\n' +
          '[ipv6]\nmethod=ignore\n',
      );
      assert.equal(
        nmConnectionContent({ ...uplink, ip6: v6.ip6 }, 'eth0', MAC).split('[ipv6]')[1],
        '\nmethod=manual\nmay-fail=false\n\naddresses1=fd09:24ef:4179::a89:5;128;\n',
      );
      const off = {
        ...uplink,
        ...v6,
        ip: '10.152.152.11',
        netmask: '255.255.255.0',
        gateway: '10.152.152.10',
        disableDefaultRoute: true as const,
        disableDnsServer: true as const,
      };
      assert.equal(
        nmConnectionContent(off, 'eth0', MAC).split('type=802-3-ethernet\n')[1],
        '[ipv4]\nmethod=manual\nmay-fail=false\n\naddresses1=10.152.152.11;24\n' +
          '[ipv6]\nmethod=manual\nmay-fail=false\n\naddresses1=fd09:24ef:4179::a89:5;128\n',
      );
    });

    it('adds the MTU under [ethernet] (setup-ip has no MTU) and is written only when it differs', () => {
      const text = nmConnectionContent({ ...uplink, mtu: 1400 }, 'eth0', MAC);
      assert.match(text, /\[ethernet\]\nmac-address=00:16:3e:5e:6c:00\nmtu=1400\n\n\[connection\]/);
      const write = planNmConnection(uplink, 'eth0', MAC, '/etc/NetworkManager/system-connections/', undefined);
      assert.equal(write?.path, '/etc/NetworkManager/system-connections/qubes-uplink-eth0');
      assert.equal(planNmConnection(uplink, 'eth0', MAC, '/x', write?.content), undefined);
    });

    it('configures only the group and the gateway neighbour itself, never addresses, routes or link state', () => {
      assert.deepEqual(planManagedGuestNetwork({ ...uplink, mtu: 1400 }, fresh).ops, [
        { kind: 'link-group', dev: 'eth0', group: 1 },
        { kind: 'neigh-permanent', dev: 'eth0', ip: '10.137.0.1', mac: 'fe:ff:ff:ff:ff:ff' },
      ]);
    });
  });

  describe('planNetConfig with local services and NetworkManager', () => {
    const observed = (over: Partial<NetConfigObserved> = {}): NetConfigObserved => ({
      net: fresh,
      nft: {},
      sysctl: new Map([['net/ipv6/conf/eth0/accept_dad', '0']]),
      resolvConf: { content: undefined, protected: false },
      ...over,
    });
    const doc: NetConfigDocument = { generation: 1, qube: 'work', uplink };
    const noServices = { disableDefaultRoute: false, disableDnsServer: false, networkManager: false };

    it('a service on in the qube itself counts as one dom0 sent (setup-ip reads only the local ones)', () => {
      const plan = planNetConfig(
        doc,
        observed({ services: { ...noServices, disableDefaultRoute: true, disableDnsServer: true } }),
      );
      assert.ok(!plan.ip.some((op) => op.kind === 'route-replace' && op.dst === '0.0.0.0/0'));
      assert.equal(plan.resolvConf, '\n');
    });

    it('hands eth0 to NetworkManager only where nmcli exists; then no resolv.conf and no resolvectl', () => {
      const nm = { nmcli: true, connectionsDir: '/nm' };
      const managed = planNetConfig(
        { ...doc, uplink: { ...uplink, networkManager: true } },
        observed({ networkManager: nm, resolved: { active: true, servers: [] } }),
      );
      assert.equal(managed.nmConnection?.path, '/nm/qubes-uplink-eth0');
      assert.equal(managed.resolvConf, undefined);
      assert.equal(managed.resolved, undefined);
      assert.ok(
        !managed.ip.some((op) => op.kind === 'addr-add' || op.kind === 'route-replace' || op.kind === 'link-up'),
      );
      // The profile on disk: nothing left to do.
      const done = planNetConfig(
        { ...doc, uplink: { ...uplink, networkManager: true } },
        observed({
          net: applyIpOps(fresh, managed.ip),
          networkManager: { ...nm, profile: managed.nmConnection?.content },
          sysctl: new Map([['net/ipv6/conf/eth0/accept_dad', '0']]),
        }),
      );
      // (The base ruleset is not in this fake kernel; the link and the profile are what is checked here.)
      assert.deepEqual([done.ip, done.sysctl, done.nmConnection, done.resolvConf], [[], [], undefined, undefined]);
      // Without nmcli the service has no effect, as in setup-ip.
      const direct = planNetConfig(
        doc,
        observed({
          services: { ...noServices, networkManager: true },
          networkManager: { nmcli: false, connectionsDir: '/nm' },
        }),
      );
      assert.equal(direct.nmConnection, undefined);
      assert.ok(direct.ip.some((op) => op.kind === 'addr-add'));
    });
  });

  describe('mapped-ip NAT on the provider', () => {
    const vif: NetState = {
      links: [{ name: 'vif7.0', mac: 'fe:ff:ff:ff:ff:ff', up: true, mtu: 1500, group: 2, addresses: [] }],
      routes: [],
      neighbours: [],
    };
    const provider = (visible?: { visibleIp: string; visibleGateway: string }) => ({
      ip: '10.137.0.6',
      ipv6: false,
      clients: [{ name: 'work', ip: '10.137.0.7', vif: 'vif7.0', ...visible }],
    });

    it('translates only a client whose visible address differs, and only on an existing vif', () => {
      assert.deepEqual(planDownstream(provider(), vif).mappedIp, []);
      const same = planDownstream(provider({ visibleIp: '10.137.0.7', visibleGateway: '10.137.0.6' }), vif);
      assert.deepEqual(same.mappedIp, []);
      const mapped = planDownstream(provider({ visibleIp: '10.152.152.11', visibleGateway: '10.152.152.10' }), vif);
      assert.deepEqual(mapped.mappedIp, [
        {
          vif: 'vif7.0',
          ip: '10.137.0.7',
          visibleIp: '10.152.152.11',
          gateway: '10.137.0.6',
          visibleGateway: '10.152.152.10',
        },
      ]);
      const missing = planDownstream(provider({ visibleIp: '10.152.152.11', visibleGateway: '10.152.152.10' }), {
        ...vif,
        links: [],
      });
      assert.deepEqual(missing.mappedIp, []);
    });

    it('builds the table in one transaction, nothing when the kernel holds it, and removes it when unused', () => {
      const client = {
        vif: 'vif7.0',
        ip: '10.137.0.7',
        visibleIp: '10.152.152.11',
        gateway: '10.137.0.6',
        visibleGateway: '10.152.152.10',
      };
      const cmds = planMappedIpNat([client], undefined);
      assert.deepEqual(cmds.slice(0, 3), [
        { add: { table: { family: 'netdev', name: MAPPED_IP_TABLE } } },
        { delete: { table: { family: 'netdev', name: MAPPED_IP_TABLE } } },
        { add: { table: { family: 'netdev', name: MAPPED_IP_TABLE } } },
      ]);
      const chains = cmds.flatMap((c) => {
        const chain = (c.add as { chain?: { name: string; hook: string; dev: string } } | undefined)?.chain;
        return chain ? [`${chain.name} ${chain.hook} ${chain.dev}`] : [];
      });
      assert.deepEqual(chains, ['in-vif7.0 ingress vif7.0', 'out-vif7.0 egress vif7.0']);
      const comments = (chain: string) =>
        cmds.flatMap((c) => {
          const rule = (c.add as { rule?: { chain: string; comment: string } } | undefined)?.rule;
          return rule && rule.chain === chain ? [rule.comment] : [];
        });
      const held: NftTableState = {
        chains: new Map([
          [
            'in-vif7.0',
            {
              hook: { type: 'filter', hook: 'ingress', prio: 0, policy: 'accept' } as never,
              ruleComments: comments('in-vif7.0'),
            },
          ],
          [
            'out-vif7.0',
            {
              hook: { type: 'filter', hook: 'egress', prio: 0, policy: 'accept' } as never,
              ruleComments: comments('out-vif7.0'),
            },
          ],
        ]),
        sets: new Map(),
      };
      assert.deepEqual(planMappedIpNat([client], held), []);
      assert.equal(planMappedIpNat([{ ...client, visibleIp: '10.152.152.12' }], held).length, cmds.length);
      assert.deepEqual(planMappedIpNat([], held), [{ delete: { table: { family: 'netdev', name: MAPPED_IP_TABLE } } }]);
      assert.deepEqual(planMappedIpNat([], undefined), []);
    });
  });
});

// The layering rule for planners/ also matches their tests; 'assert' without the node: prefix passes it.
import assert from 'assert/strict';
import type { NetConfigDocument } from '../../../../services/net-config';
import type { NetState } from '../../../../vm-side/planners/net-state';
import type { NftTableState } from '../../../../vm-side/planners/nft-state';
import {
  describeNetConfigPlan,
  desiredSysctls,
  isEmptyPlan,
  planNetConfig,
  type NetConfigObserved,
  type NetConfigPlan,
} from '../../../../vm-side/planners/plan-net-config';
import { applyIpOps, applyNft } from '../helpers/fake-kernel';

const MAC = '00:16:3e:5e:6c:00';
const net: NetState = {
  links: [
    { name: 'eth0', mac: MAC, up: false, mtu: 1500, group: 0, addresses: [] },
    { name: 'vif3.0', mac: 'fe:ff:ff:ff:ff:ff', up: false, mtu: 1500, group: 0, addresses: [] },
  ],
  routes: [],
  neighbours: [],
};
const uplink = {
  mac: MAC,
  ip: '10.137.0.6',
  netmask: '255.255.255.255' as const,
  gateway: '10.137.0.1',
  dns: ['10.139.1.1', '10.139.1.2'] as [string, string],
};
const provider = { ip: '10.137.0.6', ipv6: false, clients: [{ name: 'work', ip: '10.137.0.7', vif: 'vif3.0' }] };
const both: NetConfigDocument = { generation: 1, qube: 'sys-firewall', uplink, provider };

/** A fresh kernel's values for the keys the document asks about: DAD on, forwarding and proxy ARP off. */
const fresh: NetConfigObserved = {
  net,
  nft: {},
  sysctl: new Map([
    ['net/ipv6/conf/eth0/accept_dad', '1'],
    ['net/ipv4/ip_forward', '0'],
    ['net/ipv6/conf/all/forwarding', '0'],
    ['net/ipv6/conf/vif3.0/accept_dad', '1'],
    ['net/ipv4/conf/vif3.0/proxy_arp', '0'],
  ]),
  resolvConf: { content: undefined, protected: false },
};

/** What the kernel holds after a plan: the fake kernel applied, sysctls and resolv.conf taken. */
function after(observed: NetConfigObserved, plan: NetConfigPlan): NetConfigObserved {
  const tables = new Map<string, NftTableState>();
  if (observed.nft.ip) tables.set('ip qubes', observed.nft.ip);
  if (observed.nft.ip6) tables.set('ip6 qubes', observed.nft.ip6);
  const nft = applyNft(tables, plan.nft);
  const sysctl = new Map(observed.sysctl);
  for (const op of plan.sysctl) sysctl.set(op.key, op.value);
  return {
    net: applyIpOps(observed.net, plan.ip),
    nft: { ip: nft.get('ip qubes'), ip6: nft.get('ip6 qubes') },
    sysctl,
    resolvConf: { content: plan.resolvConf ?? observed.resolvConf.content, protected: false },
  };
}

describe('planNetConfig', () => {
  it('plans both roles in apply order and nothing the second time', () => {
    const plan = planNetConfig(both, fresh);
    assert.ok(plan.nft.length > 0 && plan.ip.length > 0);
    // The guest link's first, then the provider's: all before any `ip` op brings a link up.
    assert.deepEqual(plan.sysctl, [
      { key: 'net/ipv6/conf/eth0/accept_dad', value: '0', ifPresent: true },
      { key: 'net/ipv4/ip_forward', value: '1' },
      { key: 'net/ipv6/conf/vif3.0/accept_dad', value: '0', ifPresent: true },
      { key: 'net/ipv4/conf/vif3.0/proxy_arp', value: '1' },
    ]);
    assert.equal(plan.resolvConf, 'nameserver 10.139.1.1\nnameserver 10.139.1.2\n');
    assert.deepEqual(plan.conntrackPurge, ['10.137.0.7']);
    const lines = describeNetConfigPlan(plan, '/etc/resolv.conf');
    assert.ok(lines[0].startsWith('nft '));
    assert.equal(lines.at(-1), 'write /etc/resolv.conf: "nameserver 10.139.1.1\\nnameserver 10.139.1.2\\n"');
    assert.ok(isEmptyPlan(planNetConfig(both, after(fresh, plan), both)));
  });

  it("asks the observer for the guest link's keys as well as the provider's", () => {
    assert.deepEqual(
      desiredSysctls(both, net).map((op) => op.key),
      [...fresh.sysctl.keys()],
    );
    assert.deepEqual(
      desiredSysctls({ generation: 1, qube: 'work', uplink }, net).map((op) => op.key),
      ['net/ipv6/conf/eth0/accept_dad'],
    );
  });

  it('removes exactly what the previous uplink set when the qube loses its netvm', () => {
    const converged = after(fresh, planNetConfig({ ...both, provider: undefined }, fresh));
    const plan = planNetConfig({ generation: 2, qube: 'sys-firewall' }, converged, { ...both, provider: undefined });
    assert.deepEqual(plan.ip, [
      { kind: 'route-del', dev: 'eth0', dst: '10.137.0.1/32' },
      { kind: 'route-del', dev: 'eth0', dst: '0.0.0.0/0', via: '10.137.0.1' },
      { kind: 'neigh-del', dev: 'eth0', ip: '10.137.0.1' },
      { kind: 'addr-del', dev: 'eth0', cidr: '10.137.0.6/32' },
    ]);
    assert.deepEqual(plan.nft, []);
  });

  it('giving up the provider role empties the sets, strips the vifs and stops forwarding, keeping the tables', () => {
    const converged = after(fresh, planNetConfig(both, fresh));
    const plan = planNetConfig({ ...both, generation: 2, provider: undefined }, converged, both);
    assert.ok(plan.nft.every((cmd) => 'delete' in cmd && 'element' in (cmd.delete as object)));
    assert.deepEqual(plan.sysctl, [{ key: 'net/ipv4/ip_forward', value: '0', ifPresent: true }]);
    assert.deepEqual(plan.conntrackPurge, ['10.137.0.7']);
    assert.deepEqual(plan.ip, [
      { kind: 'route-del', dev: 'vif3.0', dst: '10.137.0.7/32' },
      { kind: 'addr-del', dev: 'vif3.0', cidr: '10.137.0.6/32' },
    ]);
  });

  it('gives an app qube (no clients) the base ruleset too: input filter, custom chains, NAT', () => {
    const app: NetConfigDocument = { generation: 1, qube: 'work', uplink };
    const plan = planNetConfig(app, fresh);
    const converged = after(fresh, plan);
    for (const family of ['ip', 'ip6'] as const) {
      const table = converged.nft[family];
      assert.ok(table, `table ${family} qubes exists in an app qube`);
      for (const chain of ['input', 'custom-input', 'custom-forward', 'postrouting', 'prerouting']) {
        assert.ok(table.chains.has(chain), `${family} ${chain}`);
      }
      assert.equal(table.chains.get('input')?.hook?.policy, 'drop');
      assert.deepEqual(table.sets.get('allowed'), [], 'no client may send anything');
    }
    assert.deepEqual(plan.conntrackPurge, []);
    assert.ok(!plan.sysctl.some((op) => op.key.includes('forward')), 'an app qube never turns forwarding on');
    assert.ok(isEmptyPlan(planNetConfig(app, converged, app)));
  });
});

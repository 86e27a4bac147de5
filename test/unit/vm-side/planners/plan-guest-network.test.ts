// The layering rule for planners/ also matches their tests; 'assert' without the node: prefix passes it.
import assert from 'assert/strict';
import type { Uplink } from '../../../../services/net-config';
import type { NetState } from '../../../../vm-side/planners/net-state';
import { planGuestNetwork, planGuestSysctls } from '../../../../vm-side/planners/plan-guest-network';
import { InterfaceNotFoundError } from '../../../../vm-side/planners/planner-errors';
import { planSysctls } from '../../../../vm-side/planners/sysctl-plan';
import { applyIpOps } from '../helpers/fake-kernel';

const MAC = '00:16:3e:5e:6c:00';
const uplink: Uplink = {
  mac: MAC,
  ip: '10.137.0.5',
  netmask: '255.255.255.255',
  gateway: '10.137.0.1',
  dns: ['10.139.1.1', '10.139.1.2'],
};
const uplink6: Uplink = { ...uplink, ip6: 'fd09:24ef:4179::a89:5', gateway6: 'fd09:24ef:4179::a89:1', mtu: 1400 };

const fresh: NetState = {
  links: [
    { name: 'lo', mac: '00:00:00:00:00:00', up: true, mtu: 65536, group: 0, addresses: ['127.0.0.1/8'] },
    { name: 'enX0', mac: MAC, up: false, mtu: 1500, group: 0, addresses: [] },
  ],
  routes: [],
  neighbours: [],
};

describe('planGuestNetwork', () => {
  it('configures a fresh link chosen by MAC, not by name', () => {
    assert.deepEqual(planGuestNetwork(uplink, fresh).ops, [
      { kind: 'link-group', dev: 'enX0', group: 1 },
      { kind: 'addr-add', dev: 'enX0', cidr: '10.137.0.5/32' },
      { kind: 'neigh-permanent', dev: 'enX0', ip: '10.137.0.1', mac: 'fe:ff:ff:ff:ff:ff' },
      { kind: 'link-up', dev: 'enX0' },
      { kind: 'route-replace', dev: 'enX0', dst: '10.137.0.1/32' },
      { kind: 'route-replace', dev: 'enX0', dst: '0.0.0.0/0', via: '10.137.0.1', onlink: true },
    ]);
  });

  it('adds IPv6 and the MTU when given', () => {
    const ops = planGuestNetwork(uplink6, fresh).ops;
    assert.deepEqual(
      ops.filter((op) => JSON.stringify(op).includes(':a89:') || op.kind === 'link-mtu'),
      [
        { kind: 'link-mtu', dev: 'enX0', mtu: 1400 },
        { kind: 'addr-add', dev: 'enX0', cidr: 'fd09:24ef:4179::a89:5/128' },
        { kind: 'neigh-permanent', dev: 'enX0', ip: 'fd09:24ef:4179::a89:1', mac: 'fe:ff:ff:ff:ff:ff' },
        { kind: 'route-replace', dev: 'enX0', dst: 'fd09:24ef:4179::a89:1/128' },
        { kind: 'route-replace', dev: 'enX0', dst: '::/0', via: 'fd09:24ef:4179::a89:1', onlink: true },
      ],
    );
  });

  it('plans nothing from the converged state (idempotent)', () => {
    for (const doc of [uplink, uplink6]) {
      const converged = applyIpOps(fresh, planGuestNetwork(doc, fresh).ops);
      assert.deepEqual(planGuestNetwork(doc, converged).ops, []);
    }
  });

  it('removes what is stale when IPv6 is turned off', () => {
    const with6 = applyIpOps(fresh, planGuestNetwork(uplink6, fresh).ops);
    assert.deepEqual(planGuestNetwork({ ...uplink, mtu: 1400 }, with6, uplink6).ops, [
      { kind: 'addr-del', dev: 'enX0', cidr: 'fd09:24ef:4179::a89:5/128' },
      { kind: 'neigh-del', dev: 'enX0', ip: 'fd09:24ef:4179::a89:1' },
      { kind: 'route-del', dev: 'enX0', dst: 'fd09:24ef:4179::a89:1/128' },
      { kind: 'route-del', dev: 'enX0', dst: '::/0', via: 'fd09:24ef:4179::a89:1' },
    ]);
  });

  it('replaces an old address and gateway without deleting the default route first', () => {
    const old = applyIpOps(fresh, planGuestNetwork(uplink, fresh).ops);
    const moved: Uplink = { ...uplink, ip: '10.137.0.9', gateway: '10.137.0.2' };
    assert.deepEqual(planGuestNetwork(moved, old, uplink).ops, [
      { kind: 'addr-add', dev: 'enX0', cidr: '10.137.0.9/32' },
      { kind: 'addr-del', dev: 'enX0', cidr: '10.137.0.5/32' },
      { kind: 'neigh-del', dev: 'enX0', ip: '10.137.0.1' },
      { kind: 'neigh-permanent', dev: 'enX0', ip: '10.137.0.2', mac: 'fe:ff:ff:ff:ff:ff' },
      { kind: 'route-del', dev: 'enX0', dst: '10.137.0.1/32' },
      { kind: 'route-replace', dev: 'enX0', dst: '10.137.0.2/32' },
      { kind: 'route-replace', dev: 'enX0', dst: '0.0.0.0/0', via: '10.137.0.2', onlink: true },
    ]);
  });

  it('keeps what others added on the link: addresses, routes and neighbours qnet did not install', () => {
    const converged = applyIpOps(fresh, planGuestNetwork(uplink6, fresh).ops);
    // A VPN client's route and address, a NetworkManager address, a neighbour the user pinned.
    const withOthers: NetState = {
      links: converged.links.map((l) =>
        l.name === 'enX0' ? { ...l, addresses: [...l.addresses, '192.0.2.7/24', '2001:db8::7/64'] } : l,
      ),
      routes: [
        ...converged.routes,
        { dst: '203.0.113.0/24', dev: 'enX0', via: '10.137.0.1', onlink: true, kernel: false },
        { dst: '198.51.100.9/32', dev: 'enX0', onlink: false, kernel: false },
      ],
      neighbours: [
        ...converged.neighbours,
        { ip: '10.137.0.99', dev: 'enX0', mac: '00:16:3e:00:00:99', permanent: true },
      ],
    };
    assert.deepEqual(planGuestNetwork(uplink6, withOthers, uplink6).ops, [], 'a re-push touches none of them');
    assert.deepEqual(planGuestNetwork(uplink6, withOthers).ops, [], 'nor does a push with no record (first boot)');
    // A changed document removes what qnet installed before, and still nothing else.
    const moved: Uplink = { ...uplink, ip: '10.137.0.9', gateway: '10.137.0.2' };
    const ops = planGuestNetwork(moved, withOthers, uplink6).ops;
    const removed = ops.filter((op) => op.kind.endsWith('-del')).map((op) => JSON.stringify(op));
    for (const foreign of ['192.0.2.7/24', '2001:db8::7/64', '203.0.113.0/24', '198.51.100.9/32', '10.137.0.99']) {
      assert.ok(!removed.some((r) => r.includes(`"${foreign}"`)), `${foreign} stays`);
    }
    assert.ok(
      removed.some((r) => r.includes('"10.137.0.5/32"')),
      'the old qnet address goes',
    );
    assert.ok(
      removed.some((r) => r.includes('"fd09:24ef:4179::a89:5/128"')),
      'the old qnet IPv6 address goes',
    );
  });

  it('leaves kernel routes and other links alone', () => {
    const state: NetState = {
      ...fresh,
      routes: [
        { dst: 'fd09:24ef:4179::a89:5/128', dev: 'enX0', onlink: false, kernel: true },
        { dst: '10.0.0.0/8', dev: 'lo', onlink: false, kernel: false },
      ],
    };
    assert.ok(planGuestNetwork(uplink, state).ops.every((op) => op.kind !== 'route-del'));
  });

  it('fails with a typed error when no link has the MAC', () => {
    assert.throws(
      () => planGuestNetwork({ ...uplink, mac: '00:16:3e:00:00:01' }, fresh),
      (err: unknown) => err instanceof InterfaceNotFoundError && err.code === 'APPLY_FAILED',
    );
  });
});

describe('planGuestSysctls', () => {
  it('turns duplicate address detection off on the link chosen by MAC, once', () => {
    const desired = planGuestSysctls(uplink6, fresh);
    assert.deepEqual(desired, [{ key: 'net/ipv6/conf/enX0/accept_dad', value: '0', ifPresent: true }]);
    assert.deepEqual(planSysctls(desired, new Map([['net/ipv6/conf/enX0/accept_dad', '1']])), desired);
    assert.deepEqual(planSysctls(desired, new Map([['net/ipv6/conf/enX0/accept_dad', '0']])), []);
  });

  it('wants nothing while no link has the MAC', () => {
    assert.deepEqual(planGuestSysctls({ ...uplink, mac: '00:16:3e:00:00:99' }, fresh), []);
  });
});

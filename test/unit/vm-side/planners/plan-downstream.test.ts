// The layering rule for planners/ also matches their tests; 'assert' without the node: prefix passes it.
import assert from 'assert/strict';
import type { ProviderConfig } from '../../../../services/net-config';
import type { NetState } from '../../../../vm-side/planners/net-state';
import { planDownstream } from '../../../../vm-side/planners/plan-downstream';
import { planSysctls } from '../../../../vm-side/planners/sysctl-plan';
import { applyIpOps } from '../helpers/fake-kernel';

const link = (name: string, group = 0) => ({
  name,
  mac: 'fe:ff:ff:ff:ff:ff',
  up: false,
  mtu: 1500,
  group,
  addresses: [],
});
const provider: ProviderConfig = {
  ip: '10.137.0.6',
  ipv6: false,
  clients: [
    { name: 'work', ip: '10.137.0.7', vif: 'vif3.0' },
    { name: 'personal', ip: '10.137.0.8', ip6: 'fd09:24ef:4179::a89:8', vif: 'vif4.0' },
  ],
};
const state: NetState = { links: [link('eth0', 1), link('vif3.0'), link('vif4.0')], routes: [], neighbours: [] };

describe('planDownstream', () => {
  it('puts each client vif in group 2 with our /32, link up, and a host route', () => {
    const plan = planDownstream(provider, state);
    assert.deepEqual(plan.ip, [
      { kind: 'link-group', dev: 'vif3.0', group: 2 },
      { kind: 'addr-add', dev: 'vif3.0', cidr: '10.137.0.6/32' },
      { kind: 'link-up', dev: 'vif3.0' },
      { kind: 'route-replace', dev: 'vif3.0', dst: '10.137.0.7/32' },
      { kind: 'link-group', dev: 'vif4.0', group: 2 },
      { kind: 'addr-add', dev: 'vif4.0', cidr: '10.137.0.6/32' },
      { kind: 'link-up', dev: 'vif4.0' },
      { kind: 'route-replace', dev: 'vif4.0', dst: '10.137.0.8/32' },
    ]);
    assert.deepEqual(plan.sysctl, [
      { key: 'net/ipv4/ip_forward', value: '1' },
      { key: 'net/ipv6/conf/all/forwarding', value: '0', ifPresent: true },
      { key: 'net/ipv6/conf/vif3.0/accept_dad', value: '0', ifPresent: true },
      { key: 'net/ipv4/conf/vif3.0/proxy_arp', value: '1' },
      { key: 'net/ipv6/conf/vif4.0/accept_dad', value: '0', ifPresent: true },
      { key: 'net/ipv4/conf/vif4.0/proxy_arp', value: '1' },
    ]);
    assert.deepEqual(plan.antispoof.ip, {
      allowed: [
        { dev: 'vif3.0', ip: '10.137.0.7' },
        { dev: 'vif4.0', ip: '10.137.0.8' },
      ],
      downstream: ['10.137.0.7', '10.137.0.8'],
    });
    // IPv6 is off for the provider: no client gets IPv6 entries even if it has an address.
    assert.deepEqual(plan.antispoof.ip6, { allowed: [], downstream: [] });
  });

  it('with IPv6 on: /128 on the vif, proxy_ndp, IPv6 forwarding and host route', () => {
    const p6 = { ...provider, ipv6: true, ip6: 'fd09:24ef:4179::a89:6' };
    const plan = planDownstream(p6, state);
    const vif4 = plan.ip.filter((op) => op.dev === 'vif4.0');
    assert.deepEqual(
      vif4.filter((op) => JSON.stringify(op).includes(':a89:')),
      [
        { kind: 'addr-add', dev: 'vif4.0', cidr: 'fd09:24ef:4179::a89:6/128' },
        { kind: 'route-replace', dev: 'vif4.0', dst: 'fd09:24ef:4179::a89:8/128' },
      ],
    );
    assert.ok(plan.sysctl.some((s) => s.key === 'net/ipv6/conf/vif4.0/proxy_ndp' && s.value === '1'));
    assert.ok(plan.sysctl.some((s) => s.key === 'net/ipv6/conf/all/forwarding' && s.value === '1'));
    assert.deepEqual(plan.antispoof.ip6.allowed, [{ dev: 'vif4.0', ip: 'fd09:24ef:4179::a89:8' }]);
  });

  it('plans no ip change and no sysctl write from the converged state', () => {
    const plan = planDownstream(provider, state);
    const converged = applyIpOps(state, plan.ip);
    const again = planDownstream(provider, converged);
    assert.deepEqual(again.ip, []);
    const kernel = new Map(plan.sysctl.map((s) => [s.key, s.value]));
    assert.deepEqual(planSysctls(again.sysctl, kernel), []);
  });

  it('turns duplicate address detection off on a fresh vif, before any ip op brings it up', () => {
    // A new vif as the kernel makes it: DAD on, proxy_arp off.
    const kernel = new Map([
      ['net/ipv4/ip_forward', '1'],
      ['net/ipv6/conf/all/forwarding', '0'],
      ['net/ipv6/conf/vif3.0/accept_dad', '1'],
      ['net/ipv4/conf/vif3.0/proxy_arp', '1'],
      ['net/ipv6/conf/vif4.0/accept_dad', '1'],
      ['net/ipv4/conf/vif4.0/proxy_arp', '0'],
    ]);
    assert.deepEqual(planSysctls(planDownstream(provider, state).sysctl, kernel), [
      { key: 'net/ipv6/conf/vif3.0/accept_dad', value: '0', ifPresent: true },
      { key: 'net/ipv6/conf/vif4.0/accept_dad', value: '0', ifPresent: true },
      { key: 'net/ipv4/conf/vif4.0/proxy_arp', value: '1' },
    ]);
    // A kernel without IPv6 has no accept_dad key: nothing to write, nothing to fail.
    const noV6 = new Map([...kernel].filter(([k]) => !k.startsWith('net/ipv6/')));
    assert.deepEqual(planSysctls(planDownstream(provider, state).sysctl, noV6), [
      { key: 'net/ipv4/conf/vif4.0/proxy_arp', value: '1' },
    ]);
  });

  it('strips a departed client vif and reports a vif that does not exist yet', () => {
    const converged = applyIpOps(state, planDownstream(provider, state).ip);
    const onlyNew = { ...provider, clients: [{ name: 'new', ip: '10.137.0.9', vif: 'vif9.0' }] };
    const plan = planDownstream(onlyNew, converged, provider);
    assert.deepEqual(plan.missingVifs, ['vif9.0']);
    assert.deepEqual(plan.ip, [
      { kind: 'route-del', dev: 'vif3.0', dst: '10.137.0.7/32' },
      { kind: 'addr-del', dev: 'vif3.0', cidr: '10.137.0.6/32' },
      { kind: 'route-del', dev: 'vif4.0', dst: '10.137.0.8/32' },
      { kind: 'addr-del', dev: 'vif4.0', cidr: '10.137.0.6/32' },
    ]);
    // The missing client's antispoof entry is still planned: it must exist before the link comes up.
    assert.deepEqual(plan.antispoof.ip.allowed, [{ dev: 'vif9.0', ip: '10.137.0.9' }]);
  });

  it('never strips a group-2 vif no document named, nor what others added on a client vif', () => {
    const converged = applyIpOps(state, planDownstream(provider, state).ip);
    const withOthers: NetState = {
      // vif7.0: a client still being set up (in group 2 by the hotplug script, not yet in any document).
      links: [
        ...converged.links.map((l) =>
          l.name === 'vif3.0' ? { ...l, addresses: [...l.addresses, '192.0.2.1/32'] } : l,
        ),
        { ...link('vif7.0', 2), addresses: ['10.137.0.6/32'] },
      ],
      routes: [
        ...converged.routes,
        { dst: '10.137.0.70/32', dev: 'vif7.0', onlink: false, kernel: false },
        { dst: '192.0.2.0/24', dev: 'vif3.0', onlink: false, kernel: false },
      ],
      neighbours: [],
    };
    assert.deepEqual(planDownstream(provider, withOthers, provider).ip, [], 're-push with the record');
    assert.deepEqual(planDownstream(provider, withOthers).ip, [], 're-push without a record');
    // A client leaves: only what qnet put on its vif goes; the user's route and address there stay.
    const oneLeft = { ...provider, clients: [provider.clients[1]] };
    assert.deepEqual(planDownstream(oneLeft, withOthers, provider).ip, [
      { kind: 'route-del', dev: 'vif3.0', dst: '10.137.0.7/32' },
      { kind: 'addr-del', dev: 'vif3.0', cidr: '10.137.0.6/32' },
    ]);
  });

  it('a client restarted under a new xid: its old vif loses only what qnet put there, the new one is set up, an unnamed one untouched', () => {
    const converged = applyIpOps(state, planDownstream(provider, state).ip);
    // work (vif3.0) came back as domain 12; vif3.0 lingers (a backend not yet torn down) with a user's route;
    // vif13.0 is another domain's vif, put in group 2 by the hotplug script and in no document yet.
    const kernel: NetState = {
      links: [...converged.links, link('vif12.0'), { ...link('vif13.0', 2), addresses: ['10.137.0.6/32'] }],
      routes: [
        ...converged.routes,
        { dst: '192.0.2.0/24', dev: 'vif3.0', onlink: false, kernel: false },
        { dst: '10.137.0.99/32', dev: 'vif13.0', onlink: false, kernel: false },
      ],
      neighbours: [],
    };
    const renamed = { ...provider, clients: [{ ...provider.clients[0], vif: 'vif12.0' }, provider.clients[1]] };
    const plan = planDownstream(renamed, kernel, provider);
    assert.deepEqual(plan.ip, [
      { kind: 'link-group', dev: 'vif12.0', group: 2 },
      { kind: 'addr-add', dev: 'vif12.0', cidr: '10.137.0.6/32' },
      { kind: 'link-up', dev: 'vif12.0' },
      { kind: 'route-replace', dev: 'vif12.0', dst: '10.137.0.7/32' },
      { kind: 'route-del', dev: 'vif3.0', dst: '10.137.0.7/32' },
      { kind: 'addr-del', dev: 'vif3.0', cidr: '10.137.0.6/32' },
    ]);
    assert.ok(!plan.ip.some((op) => op.dev === 'vif13.0'));
    assert.deepEqual(plan.antispoof.ip.allowed, [
      { dev: 'vif12.0', ip: '10.137.0.7' },
      { dev: 'vif4.0', ip: '10.137.0.8' },
    ]);
  });
});

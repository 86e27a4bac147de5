// The layering rule for planners/ also matches their tests; 'assert' without the node: prefix passes it.
import assert from 'assert/strict';
import { planBaseRuleset } from '../../../../vm-side/planners/plan-base-ruleset';
import { dnsNatChain, planDnsNat } from '../../../../vm-side/planners/plan-dns-nat';
import { applyNft } from '../helpers/fake-kernel';

const dnat = (virtual: string, proto: string, real: string) => [
  { match: { op: '==', left: { payload: { protocol: 'ip', field: 'daddr' } }, right: virtual } },
  { match: { op: '==', left: { payload: { protocol: proto, field: 'dport' } }, right: 53 } },
  { dnat: { addr: real } },
];

describe('planDnsNat', () => {
  it('pairs DNS1 with the first IPv4 upstream and DNS2 with the second, tcp and udp', () => {
    assert.deepEqual(dnsNatChain(['2001:db8::53', '192.0.2.53', '198.51.100.53']).rules, [
      dnat('10.139.1.1', 'udp', '192.0.2.53'),
      dnat('10.139.1.1', 'tcp', '192.0.2.53'),
      dnat('10.139.1.2', 'udp', '198.51.100.53'),
      dnat('10.139.1.2', 'tcp', '198.51.100.53'),
    ]);
  });

  it('sends DNS2 to the first upstream when there is only one', () => {
    const rules = dnsNatChain(['192.0.2.53']).rules;
    assert.deepEqual(rules[2], dnat('10.139.1.2', 'udp', '192.0.2.53'));
  });

  it('drops the virtual addresses when no IPv4 upstream is known', () => {
    assert.deepEqual(dnsNatChain(['2001:db8::53']).rules, [
      [
        {
          match: {
            op: '==',
            left: { payload: { protocol: 'ip', field: 'daddr' } },
            right: { set: ['10.139.1.1', '10.139.1.2'] },
          },
        },
        { drop: null },
      ],
    ]);
  });

  it('replaces the whole chain in one batch: flush, then the new rules', () => {
    const base = applyNft(new Map(), planBaseRuleset('ip', { allowed: [], downstream: [] }, undefined)).get('ip qubes');
    const cmds = planDnsNat(['192.0.2.53'], base);
    assert.deepEqual(Object.keys(cmds[0]), ['flush']);
    assert.equal(cmds.length, 5);
    assert.deepEqual(
      (cmds[0] as { flush: { chain: { name: string; hook: string; prio: number } } }).flush.chain.name,
      'dnat-dns',
    );
  });

  it('creates the table and chain when the provider ruleset is not there yet', () => {
    const cmds = planDnsNat(['192.0.2.53'], undefined);
    assert.deepEqual(cmds[0], { add: { table: { family: 'ip', name: 'qubes' } } });
    assert.deepEqual((cmds[1] as { add: { chain: unknown } }).add.chain, {
      family: 'ip',
      table: 'qubes',
      name: 'dnat-dns',
      type: 'nat',
      hook: 'prerouting',
      prio: -100,
      policy: 'accept',
    });
  });

  it('plans nothing when the kernel already holds the same servers', () => {
    const state = applyNft(new Map(), planDnsNat(['192.0.2.53', '198.51.100.53'], undefined)).get('ip qubes');
    assert.deepEqual(planDnsNat(['192.0.2.53', '198.51.100.53'], state), []);
    assert.notDeepEqual(planDnsNat(['198.51.100.53'], state), []);
  });
});

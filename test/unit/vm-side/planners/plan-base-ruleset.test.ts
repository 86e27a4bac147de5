// The layering rule for planners/ also matches their tests; 'assert' without the node: prefix passes it.
import assert from 'assert/strict';
import type { NftTableState } from '../../../../vm-side/planners/nft-state';
import { planBaseRuleset, type AntispoofEntries } from '../../../../vm-side/planners/plan-base-ruleset';
import { ruleTag } from '../../../../vm-side/planners/rule-tag';
import { applyNft } from '../helpers/fake-kernel';

const entries: AntispoofEntries = {
  allowed: [
    { dev: 'vif3.0', ip: '10.137.0.7' },
    { dev: 'vif4.0', ip: '10.137.0.8' },
  ],
  downstream: ['10.137.0.7', '10.137.0.8'],
};

const verbOf = (cmd: Record<string, unknown>) => {
  const [verb, body] = Object.entries(cmd)[0] as [string, Record<string, Record<string, unknown>>];
  const [what, o] = Object.entries(body)[0];
  return `${verb} ${what} ${String(o.name ?? o.chain ?? '')}`;
};

function converge(observed: NftTableState | undefined, e: AntispoofEntries = entries) {
  const before = new Map(observed ? [['ip qubes', observed] as const] : []);
  return applyNft(before, planBaseRuleset('ip', e, observed)).get('ip qubes');
}

describe('planBaseRuleset', () => {
  it('creates the table, sets, user chains, DNS chain and base chains in dependency order', () => {
    const cmds = planBaseRuleset('ip', entries, undefined);
    const structure = cmds.map(verbOf).filter((v) => !v.startsWith('add rule'));
    assert.deepEqual(structure, [
      'add table qubes',
      'add set allowed',
      'add set downstream',
      'add chain custom-input',
      'add chain custom-forward',
      'add chain dnat-dns',
      'add chain antispoof',
      'add chain prerouting',
      'add chain postrouting',
      'add chain input',
      'add chain forward',
      'add element allowed',
      'add element downstream',
    ]);
    const prerouting = cmds.find((c) => verbOf(c) === 'add chain prerouting') as { add: { chain: object } };
    assert.deepEqual(prerouting.add.chain, {
      family: 'ip',
      table: 'qubes',
      name: 'prerouting',
      type: 'filter',
      hook: 'prerouting',
      prio: -300,
      policy: 'accept',
    });
    const input = cmds.find((c) => verbOf(c) === 'add chain input') as { add: { chain: { policy: string } } };
    assert.equal(input.add.chain.policy, 'drop');
    const allowed = cmds.find((c) => verbOf(c) === 'add element allowed') as { add: { element: { elem: unknown } } };
    assert.deepEqual(allowed.add.element.elem, [
      { concat: ['vif3.0', '10.137.0.7'] },
      { concat: ['vif4.0', '10.137.0.8'] },
    ]);
  });

  it('every rule carries the tag of its own expression', () => {
    for (const cmd of planBaseRuleset('ip6', entries, undefined)) {
      const rule = (cmd as { add?: { rule?: { expr: []; comment: string } } }).add?.rule;
      if (rule) assert.equal(rule.comment, ruleTag(rule.expr));
    }
  });

  it('plans nothing from the converged state (idempotent), for both families', () => {
    for (const family of ['ip', 'ip6'] as const) {
      const e = family === 'ip' ? entries : { allowed: [{ dev: 'vif4.0', ip: 'fd09::8' }], downstream: ['fd09::8'] };
      const state = applyNft(new Map(), planBaseRuleset(family, e, undefined)).get(`${family} qubes`);
      assert.deepEqual(planBaseRuleset(family, e, state), []);
    }
  });

  it('removes the entries of clients that left, and only those', () => {
    const state = converge(undefined);
    const cmds = planBaseRuleset('ip', { allowed: [entries.allowed[1]], downstream: ['10.137.0.8'] }, state);
    assert.deepEqual(cmds, [
      {
        delete: {
          element: { family: 'ip', table: 'qubes', name: 'allowed', elem: [{ concat: ['vif3.0', '10.137.0.7'] }] },
        },
      },
      { delete: { element: { family: 'ip', table: 'qubes', name: 'downstream', elem: ['10.137.0.7'] } } },
    ]);
  });

  it('never flushes the user chains or the DNS chain, whatever they hold', () => {
    const state = converge(undefined)!;
    const chains = new Map(state.chains);
    for (const name of ['custom-input', 'custom-forward', 'dnat-dns']) {
      chains.set(name, { ...chains.get(name), ruleComments: ['user rule', ''] });
    }
    assert.deepEqual(planBaseRuleset('ip', entries, { ...state, chains }), []);
  });

  it('replaces a base chain whose rules differ, in the same batch', () => {
    const state = converge(undefined)!;
    const chains = new Map(state.chains);
    chains.set('forward', { ...chains.get('forward')!, ruleComments: ['qnet:deadbeef'] });
    const cmds = planBaseRuleset('ip', entries, { ...state, chains });
    assert.equal(verbOf(cmds[0]), 'flush chain forward');
    assert.equal(cmds.length, 5, "flush and the four rules of upstream's forward chain");
    assert.ok(cmds.slice(1).every((c) => verbOf(c) === 'add rule forward'));
  });

  it('recreates a base chain whose hook differs', () => {
    const state = converge(undefined)!;
    const chains = new Map(state.chains);
    chains.set('input', {
      ...chains.get('input')!,
      hook: { type: 'filter', hook: 'input', prio: 0, policy: 'accept' },
    });
    const cmds = planBaseRuleset('ip', entries, { ...state, chains }).map(verbOf);
    assert.deepEqual(cmds.slice(0, 3), ['flush chain input', 'delete chain input', 'add chain input']);
  });

  const rulesOf = (family: 'ip' | 'ip6', chain: string) =>
    planBaseRuleset(family, entries, undefined)
      .map((c) => (c as { add?: { rule?: { chain: string; expr: unknown[] } } }).add?.rule)
      .filter((r): r is { chain: string; expr: unknown[] } => r?.chain === chain)
      .map((r) => r.expr);
  const oifgroup2 = { match: { op: '==', left: { meta: { key: 'oifgroup' } }, right: 2 } };
  const fromClients = { match: { op: '==', left: { meta: { key: 'iifgroup' } }, right: 2 } };

  it('masquerades everything except what goes to a client vif or lo, in both families (VPN uplinks too)', () => {
    for (const family of ['ip', 'ip6'] as const) {
      assert.deepEqual(rulesOf(family, 'postrouting'), [
        [oifgroup2, { accept: null }],
        [{ match: { op: '==', left: { meta: { key: 'oif' } }, right: 'lo' } }, { accept: null }],
        [{ masquerade: null }],
      ]);
    }
  });

  it('forwards as upstream: only new connections into a client are dropped', () => {
    for (const family of ['ip', 'ip6'] as const) {
      const forward = rulesOf(family, 'forward');
      assert.deepEqual(forward[0], [{ jump: { target: 'custom-forward' } }]);
      assert.deepEqual(forward.at(-1), [oifgroup2, { counter: null }, { drop: null }]);
      assert.equal(forward.length, 4, 'custom-forward, invalid, established, into a client');
      assert.ok(!JSON.stringify(forward).includes('iifgroup'), 'no drop of forwarding between non-client interfaces');
    }
  });

  it('IPv4 input: ICMP only from client vifs', () => {
    const icmp = rulesOf('ip', 'input').filter((r) => JSON.stringify(r).includes('"right":"icmp"'));
    assert.deepEqual(icmp, [
      [fromClients, { match: { op: '==', left: { meta: { key: 'l4proto' } }, right: 'icmp' } }, { accept: null }],
    ]);
  });

  it('IPv6 input: clients go through an ICMPv6 chain that drops router advertisements and redirects', () => {
    const input = rulesOf('ip6', 'input');
    assert.ok(input.some((r) => JSON.stringify(r) === JSON.stringify([fromClients, { goto: { target: '_icmpv6' } }])));
    const icmp = rulesOf('ip6', '_icmpv6');
    assert.deepEqual(icmp[1], [
      {
        match: {
          op: '==',
          left: { payload: { protocol: 'icmpv6', field: 'type' } },
          right: { set: ['nd-router-advert', 'nd-redirect'] },
        },
      },
      { counter: null },
      { drop: null },
    ]);
    assert.deepEqual(icmp[0].at(-1), { reject: { type: 'icmpv6', expr: 'admin-prohibited' } }, 'non-ICMPv6 is refused');
    assert.deepEqual(icmp[2], [{ accept: null }]);
    // The chain exists before the input chain that jumps to it.
    const order = planBaseRuleset('ip6', entries, undefined).map(verbOf);
    assert.ok(order.indexOf('add chain _icmpv6') < order.indexOf('add chain input'));
  });
});

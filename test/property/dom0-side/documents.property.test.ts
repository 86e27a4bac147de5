import assert from 'node:assert/strict';
import fc from 'fast-check';
import { diffDocumentSets, type DocumentChange } from '../../../dom0-side/documents/document-changes';
import { computeSnapshot, type NetworkSnapshot } from '../../../dom0-side/documents/network-snapshot';
import { planChanges } from '../../../dom0-side/documents/plan-changes';
import { parseApiRule } from '../../../dom0-side/firewall/parse-api-rule';
import type { FirewallRuleModel } from '../../../dom0-side/firewall/rule-model';
import { Inventory } from '../../../dom0-side/inventory/inventory';
import type { Qube } from '../../../dom0-side/inventory/qube';
import { validateOnWire } from '../../unit/dom0-side/documents/documents-helpers';

const RULE_POOL: readonly FirewallRuleModel[] = [
  'action=accept proto=tcp dsthost=example.org dstports=443',
  'action=drop dst4=10.0.0.0/8',
  'action=accept dst6=2001:db8::/32 expire=1500',
  'action=accept proto=udp specialtarget=dns dstports=53',
  'action=accept proto=icmp icmptype=8 expire=2500',
  'action=drop',
].map(parseApiRule);

const IPV6_VALUES = [undefined, '', '1'] as const;

interface QubeSeed {
  provides: boolean;
  netvmPick: number | null;
  ipv6: 0 | 1 | 2;
  running: boolean;
  disposable: boolean;
  rules: number[] | null;
}

const seedArb: fc.Arbitrary<QubeSeed> = fc.record({
  provides: fc.boolean(),
  netvmPick: fc.option(fc.nat(), { nil: null, freq: 4 }),
  ipv6: fc.constantFrom(0 as const, 1 as const, 2 as const),
  running: fc.boolean(),
  disposable: fc.boolean(),
  rules: fc.option(fc.array(fc.nat(RULE_POOL.length - 1), { maxLength: 4 }), { nil: null }),
});

/**
 * Qube i may only use a provider with a smaller index as netvm, so every
 * generated tree is loop-free; ids are unique draws from 1..9999.
 */
function buildQubes(seeds: readonly QubeSeed[], qids: readonly number[]): Qube[] {
  const providers: string[] = [];
  return seeds.map((s, i) => {
    const name = `q${i}`;
    const netvm = s.netvmPick === null || providers.length === 0 ? null : providers[s.netvmPick % providers.length];
    const ipv6 = IPV6_VALUES[s.ipv6];
    const q: Qube = {
      name,
      qid: qids[i],
      klass: s.disposable ? 'DispVM' : 'AppVM',
      ...(s.disposable ? { dispid: qids[i] } : {}),
      netvm,
      providesNetwork: s.provides,
      features: ipv6 === undefined ? {} : { ipv6 },
      tags: [],
      power: s.running ? 'running' : 'halted',
      ...(s.rules === null ? {} : { firewall: s.rules.map((r) => RULE_POOL[r]) }),
    };
    if (s.provides) providers.push(name);
    return q;
  });
}

const inventoryArb = fc
  .integer({ min: 1, max: 500 })
  .chain((n) =>
    fc
      .tuple(
        fc.array(seedArb, { minLength: n, maxLength: n }),
        fc.uniqueArray(fc.integer({ min: 1, max: 9999 }), { minLength: n, maxLength: n }),
      )
      .map(([seeds, qids]) => buildQubes(seeds, qids)),
  );

type Change =
  | { kind: 'netvm'; target: number; pick: number | null }
  | { kind: 'ipv6'; target: number; value: 0 | 1 | 2 }
  | { kind: 'power'; target: number }
  | { kind: 'rules'; target: number; rules: number[] | null }
  | { kind: 'provides'; target: number }
  | { kind: 'remove'; target: number }
  | { kind: 'add'; pick: number | null; qid: number }
  | { kind: 'ip'; target: number; octet: number }
  | { kind: 'time' };

const changeArb: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ kind: fc.constant('netvm' as const), target: fc.nat(), pick: fc.option(fc.nat(), { nil: null }) }),
  fc.record({
    kind: fc.constant('ipv6' as const),
    target: fc.nat(),
    value: fc.constantFrom(0 as const, 1 as const, 2 as const),
  }),
  fc.record({ kind: fc.constant('power' as const), target: fc.nat() }),
  fc.record({
    kind: fc.constant('rules' as const),
    target: fc.nat(),
    rules: fc.option(fc.array(fc.nat(RULE_POOL.length - 1), { maxLength: 4 }), { nil: null }),
  }),
  fc.record({ kind: fc.constant('provides' as const), target: fc.nat() }),
  fc.record({ kind: fc.constant('remove' as const), target: fc.nat() }),
  fc.record({
    kind: fc.constant('add' as const),
    pick: fc.option(fc.nat(), { nil: null }),
    qid: fc.integer({ min: 1, max: 9999 }),
  }),
  fc.record({ kind: fc.constant('ip' as const), target: fc.nat(), octet: fc.integer({ min: 1, max: 254 }) }),
  fc.constant({ kind: 'time' as const }),
);

/** Applies a change that keeps the inventory valid, or returns undefined when this one would not. */
function applyChange(qubes: readonly Qube[], change: Change): Qube[] | undefined {
  const list = [...qubes];
  if (change.kind === 'time') return list;
  if (change.kind === 'add') {
    if (list.some((q) => q.qid === change.qid || q.dispid === change.qid)) return undefined;
    const providers = list.filter((q) => q.providesNetwork);
    const netvm =
      change.pick === null || providers.length === 0 ? null : providers[change.pick % providers.length].name;
    list.push({
      name: `new${change.qid}`,
      qid: change.qid,
      klass: 'AppVM',
      netvm,
      providesNetwork: false,
      features: {},
      tags: [],
      power: 'running',
    });
    return list;
  }
  const i = change.target % list.length;
  const q = list[i];
  const hasClients = list.some((c) => c.netvm === q.name);
  switch (change.kind) {
    case 'netvm': {
      // Earlier providers only: the creation order stays a topological order, so no loop.
      const earlier = list.slice(0, i).filter((p) => p.providesNetwork);
      const netvm = change.pick === null || earlier.length === 0 ? null : earlier[change.pick % earlier.length].name;
      list[i] = { ...q, netvm };
      return list;
    }
    case 'ipv6': {
      const value = IPV6_VALUES[change.value];
      list[i] = { ...q, features: value === undefined ? {} : { ipv6: value } };
      return list;
    }
    case 'power':
      list[i] = { ...q, power: q.power === 'running' ? 'halted' : 'running' };
      return list;
    case 'rules':
      list[i] = { ...q, firewall: change.rules === null ? undefined : change.rules.map((r) => RULE_POOL[r]) };
      return list;
    case 'provides':
      if (hasClients) return undefined;
      list[i] = { ...q, providesNetwork: !q.providesNetwork };
      return list;
    case 'remove':
      if (hasClients) return undefined;
      list.splice(i, 1);
      return list;
    case 'ip':
      list[i] = { ...q, ip: `192.168.77.${change.octet}` };
      return list.some((o, j) => j !== i && o.ip === list[i].ip) ? undefined : list;
  }
}

const keyed = (changes: readonly DocumentChange[]) =>
  changes.map((c) => `${c.kind} ${c.qube} ${c.service} ${c.kind === 'removed' ? '' : c.document.canonical}`);
const canonicals = (snap: NetworkSnapshot) => [...snap.documents].map(([k, d]) => `${k} ${d.canonical}`).sort();

describe('dom0-side/documents properties (random inventories up to 500 qubes)', function () {
  this.timeout(120_000);

  it('documents are deterministic, independent of input order, and valid on the wire', () => {
    fc.assert(
      fc.property(inventoryArb, fc.integer({ min: 0, max: 3000 }), (qubes, nowS) => {
        const now = nowS * 1000;
        const a = computeSnapshot(Inventory.of(qubes), now);
        const b = computeSnapshot(Inventory.of([...qubes].reverse()), now);
        assert.deepEqual(canonicals(a), canonicals(b));
        for (const doc of a.documents.values()) validateOnWire(doc);
      }),
      { numRuns: 60 },
    );
  });

  it('the planned change set after a random change equals a brute-force diff of all documents', () => {
    fc.assert(
      fc.property(
        inventoryArb,
        changeArb,
        fc.integer({ min: 0, max: 3000 }),
        fc.nat(2000),
        (qubes, change, nowS, stepS) => {
          const next = applyChange(qubes, change);
          fc.pre(next !== undefined);
          const now = nowS * 1000;
          const later = change.kind === 'time' ? now + stepS * 1000 : now;
          const before = computeSnapshot(Inventory.of(qubes), now);
          const nextInv = Inventory.of(next!);
          const planned = planChanges(before, nextInv, later);
          const after = computeSnapshot(nextInv, later);
          assert.deepEqual(keyed(planned.changes), keyed(diffDocumentSets(before.documents, after.documents)));
          assert.deepEqual(canonicals(planned.snapshot), canonicals(after));
          // Push order: every qube after its netvm when both are pushed.
          const position = new Map(planned.push.map((c, i) => [`${c.qube} ${c.service}`, i]));
          for (const c of planned.push) {
            const netvm = nextInv.get(c.qube)?.netvm;
            const parent = netvm ? position.get(`${netvm} qubes.NetConfig`) : undefined;
            if (parent !== undefined) assert.ok(parent < position.get(`${c.qube} ${c.service}`)!);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

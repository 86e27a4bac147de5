import { qube } from '../test/unit/dom0-side/qube-fixture';
import { performance } from 'node:perf_hooks';
import { diffDocumentSets } from '../dom0-side/documents/document-changes';
import { computeSnapshot } from '../dom0-side/documents/network-snapshot';
import { planChanges } from '../dom0-side/documents/plan-changes';
import { parseApiRule } from '../dom0-side/firewall/parse-api-rule';
import { Inventory } from '../dom0-side/inventory/inventory';
import type { Qube } from '../dom0-side/inventory/qube';
import { printTable, summarize, type BenchRow } from './lib/table';

const QUBES = 500;
const ITERATIONS = 200;

const RULES = [
  'action=accept proto=tcp dsthost=example.org dstports=443',
  'action=accept proto=udp specialtarget=dns dstports=53',
  'action=drop dst4=10.0.0.0/8',
  'action=accept dst6=2001:db8::/32',
  'action=drop',
].map(parseApiRule);

const base = qube;

/** A large install: sys-net, sys-firewall, 8 VPN qubes, and the rest spread over them (every 5th disposable). */
function bigInventory(): Inventory {
  const qubes: Qube[] = [
    base('sys-net', 1, { providesNetwork: true, features: { ipv6: '1' } }),
    base('sys-firewall', 2, { providesNetwork: true, netvm: 'sys-net' }),
  ];
  for (let v = 0; v < 8; v++) qubes.push(base(`vpn${v}`, 3 + v, { providesNetwork: true, netvm: 'sys-firewall' }));
  for (let i = qubes.length; i < QUBES; i++) {
    const qid = i + 1;
    const disposable = i % 5 === 0;
    qubes.push(
      base(`app${qid}`, qid, {
        klass: disposable ? 'DispVM' : 'AppVM',
        ...(disposable ? { dispid: qid } : {}),
        netvm: i % 3 === 0 ? `vpn${i % 8}` : 'sys-firewall',
        power: i % 4 === 0 ? 'halted' : 'running',
        ...(i % 2 === 0 ? { firewall: RULES } : {}),
      }),
    );
  }
  return Inventory.of(qubes);
}

function time(samples: number[], fn: () => void): void {
  const t0 = performance.now();
  fn();
  samples.push(performance.now() - t0);
}

function row(name: string, samples: number[], extra: BenchRow = {}): BenchRow {
  const s = summarize(samples);
  return {
    case: name,
    qubes: QUBES,
    runs: samples.length,
    'p50 ms': s.p50,
    'p99 ms': s.p99,
    'mean ms': s.mean,
    ...extra,
  };
}

export async function run(): Promise<void> {
  const inv = bigInventory();
  const now = Date.now();
  for (let i = 0; i < 20; i++) computeSnapshot(inv, now); // warm-up: JIT and the rule conversion cache

  const all: number[] = [];
  let docs = 0;
  for (let i = 0; i < ITERATIONS; i++) time(all, () => (docs = computeSnapshot(inv, now).documents.size));
  const rows: BenchRow[] = [row('all documents (computeSnapshot)', all, { documents: docs })];

  const snap = computeSnapshot(inv, now);
  const changes: [string, Inventory][] = [
    ['move app20 sys-firewall -> vpn1', inv.with({ ...inv.get('app20')!, netvm: 'vpn1' })],
    ['stop app22', inv.with({ ...inv.get('app22')!, power: 'halted' })],
    ['new rules for app23', inv.with({ ...inv.get('app23')!, firewall: RULES.slice(0, 2) })],
    ['ipv6 off at sys-firewall (cascade)', inv.with({ ...inv.get('sys-firewall')!, features: { ipv6: '' } })],
  ];
  for (const [name, next] of changes) {
    for (let i = 0; i < 20; i++) planChanges(snap, next, now);
    const incremental: number[] = [];
    const brute: number[] = [];
    let changed = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      time(incremental, () => (changed = planChanges(snap, next, now).changes.length));
      time(brute, () => diffDocumentSets(snap.documents, computeSnapshot(next, now).documents));
    }
    rows.push(row(`change set: ${name}`, incremental, { documents: changed }));
    rows.push(row(`  brute-force diff, same change`, brute, { documents: changed }));
  }

  const validate: number[] = [];
  const q = inv.get('app30')!;
  for (let i = 0; i < 50; i++)
    time(validate, () => inv.with({ ...q, power: q.power === 'running' ? 'halted' : 'running' }));
  rows.push(row('inventory.with (full validation)', validate));

  printTable('dom0 network model (budget: 50 ms per case)', rows);
}

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateRequest, type PolicyRequest } from '../policy/evaluator/evaluate';
import { decisionOf } from '../policy/evaluator/describe-evaluation';
import { IndexedPolicy } from '../policy/evaluator/indexed-policy';
import { loadPolicyRules } from '../policy/loader/load-policy';
import { renderDaemonResponse } from '../policy/daemon/render-daemon-response';
import { parseSystemInfo } from '../policy/system-info/system-info';
import { printTable, summarize } from './lib/table';

const RULES = 10_000;
const SERVICES = 500;
const QUBES = 200;
const QUERIES = 100_000;

/** Deterministic pseudo-random numbers, so runs are comparable. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function buildPolicyText(rand: () => number): string[] {
  const files: string[][] = [[], [], [], []];
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const sources = ['@anyvm', '*', '@tag:work', '@type:AppVM', 'qube7', 'qube42'];
  const targets = ['@anyvm', '@default', '@adminvm', '@dispvm', '@tag:work', 'qube3', 'qube99'];
  const actions = ['allow', 'deny', 'ask', 'allow target=qube5', 'ask default_target=qube5', 'deny notify=no'];
  for (let i = 0; i < RULES; i++) {
    const service = i % 250 === 0 ? '*' : `qubes.Service${Math.floor(rand() * SERVICES)}`;
    const argument = service === '*' ? '*' : pick(['*', '+', '+arg1', '+arg2']);
    let action = pick(actions);
    const target = pick(targets);
    if (target === '@default' && action === 'allow') action = 'allow target=qube5';
    files[i % files.length].push(`${service} ${argument} ${pick(sources)} ${target} ${action}`);
  }
  return files.map((f) => f.join('\n') + '\n');
}

function systemInfo() {
  const domains: Record<string, unknown> = {
    dom0: { type: 'AdminVM', tags: [], uuid: '0', power_state: 'Running' },
  };
  for (let i = 0; i < QUBES; i++) {
    domains[`qube${i}`] = {
      type: i % 10 === 0 ? 'TemplateVM' : 'AppVM',
      tags: i % 3 === 0 ? ['work'] : [],
      uuid: `u${i}`,
      default_dispvm: 'qube1',
      template_for_dispvms: i === 1,
      power_state: i % 2 ? 'Running' : 'Halted',
      guivm: 'dom0',
    };
  }
  return parseSystemInfo({ domains });
}

export async function run(): Promise<void> {
  const rand = rng(42);
  const dir = mkdtempSync(join(tmpdir(), 'qnet-policy-bench-'));
  try {
    buildPolicyText(rand).forEach((text, i) => writeFileSync(join(dir, `${10 + i}-bench.policy`), text));
    const loadMs: number[] = [];
    let policy: IndexedPolicy | undefined;
    for (let i = 0; i < 7; i++) {
      const t0 = process.hrtime.bigint();
      policy = new IndexedPolicy(loadPolicyRules([dir]));
      loadMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    if (!policy) throw new Error('no policy');
    const info = systemInfo();
    const queries: PolicyRequest[] = [];
    for (let i = 0; i < QUERIES; i++) {
      queries.push({
        service: `qubes.Service${Math.floor(rand() * SERVICES)}`,
        argument: ['+', '+arg1', '+arg3'][Math.floor(rand() * 3)],
        source: `qube${Math.floor(rand() * QUBES)}`,
        target: ['@default', 'qube3', 'qube99', '@dispvm', 'dom0', `qube${Math.floor(rand() * QUBES)}`][
          Math.floor(rand() * 6)
        ],
      });
    }
    for (const q of queries.slice(0, 5000)) evaluateRequest(policy, info, q); // warm-up
    const decideUs: number[] = new Array<number>(QUERIES);
    const withDaemonUs: number[] = new Array<number>(QUERIES);
    const counts = { allow: 0, deny: 0, ask: 0 };
    const mode = { justEvaluate: false, assumeYesForAsk: false };
    for (let i = 0; i < QUERIES; i++) {
      const t0 = process.hrtime.bigint();
      const e = evaluateRequest(policy, info, queries[i]);
      const t1 = process.hrtime.bigint();
      renderDaemonResponse(e, info, mode);
      const t2 = process.hrtime.bigint();
      decideUs[i] = Number(t1 - t0) / 1e3;
      withDaemonUs[i] = Number(t2 - t0) / 1e3;
      counts[decisionOf(e)]++;
    }
    const load = summarize(loadMs);
    const decide = summarize(decideUs);
    const full = summarize(withDaemonUs);
    printTable(`policy engine: ${RULES} rules over ${SERVICES} services, ${QUERIES} queries`, [
      { what: 'load + index (ms)', p50: load.p50, p99: load.p99, mean: load.mean, target: '< 200' },
      { what: 'decision (µs)', p50: decide.p50, p99: decide.p99, mean: decide.mean, target: 'p50 < 5' },
      { what: 'decision + daemon text (µs)', p50: full.p50, p99: full.p99, mean: full.mean, target: '' },
    ]);
    printTable('decisions', [{ allow: counts.allow, deny: counts.deny, ask: counts.ask }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

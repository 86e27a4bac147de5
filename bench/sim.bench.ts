import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Probes } from '../sim/demo/probes';
import { GUEST_DEVICE } from '../sim/planners/plan-sim';
import { UPSTREAM } from '../sim/planners/upstream-plan';
import { SimLayout } from '../sim/sim-layout';
import { checkPrerequisites, Simulation } from '../sim/simulation';
import { DEFAULT_TOPOLOGY } from '../sim/topology';
import { printTable, summarize } from './lib/table';

const UP_RUNS = 3;
const IPV6_RUNS = 5;
const MOVE_RUNS = 6;
/** Qubes below sys-net whose IPv6 turns on with it (personal opted out). */
const AFFECTED = ['sys-firewall', 'work', 'disp1234'];

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Probes in a loop, each given `slotMs`; resolves to the ms from `start` to the first answer. */
async function firstAnswer(probes: Probes, host: string, start: number, slotMs = 250): Promise<number> {
  for (;;) {
    const r = await probes.tcp('work', host, UPSTREAM.echoPorts[0], { timeoutMs: slotMs });
    if (r.ok) return Date.now() - start;
    if (Date.now() - start > 15_000) throw new Error(`no answer from ${host}`);
  }
}

/**
 * work's netvm changed by hand (`qnet prefs work netvm X`, the hot-plug
 * supervisor moves the cable): the command, and from its start to the first
 * TCP answer over IPv6 and IPv4 through the new netvm. A link whose
 * addresses wait for duplicate address detection shows here as 1-3 s.
 */
async function measureMoves(sim: Simulation, probes: Probes) {
  const command: number[] = [];
  const first6: number[] = [];
  const first4: number[] = [];
  await sim.qnet.must(['features', 'sys-net', 'ipv6', '1']);
  for (let i = 0; i < MOVE_RUNS; i++) {
    const start = Date.now();
    await sim.qnet.must(['prefs', 'work', 'netvm', i % 2 === 0 ? 'sys-net' : 'sys-firewall']);
    command.push(Date.now() - start);
    first6.push(await firstAnswer(probes, UPSTREAM.services6[0], start));
    first4.push(await firstAnswer(probes, UPSTREAM.services[0], start));
  }
  return { command, first6, first4 };
}

/**
 * `qnet sim up` with the default topology, and a live `ipv6` enable: the
 * command (which returns on the last acknowledgement) and, separately, until
 * every affected qube shows its IPv6 address in its kernel. Then netvm moves.
 */
export async function run(): Promise<void> {
  try {
    checkPrerequisites();
  } catch (err) {
    process.stdout.write(`\nsim: skipped (${(err as Error).message})\n`);
    return;
  }
  const base = mkdtempSync(join(tmpdir(), 'qnet-sim-bench-'));
  const sim = new Simulation(new SimLayout(join(base, 'sim')));
  try {
    const up: number[] = [];
    for (let i = 0; i < UP_RUNS; i++) {
      if (i > 0) await sim.down();
      const start = Date.now();
      await sim.up(DEFAULT_TOPOLOGY);
      up.push(Date.now() - start);
    }
    const probes = new Probes(sim);
    await sim.qnet.must(['features', 'personal', 'ipv6', '']);
    const command: number[] = [];
    const kernel: number[] = [];
    for (let i = 0; i < IPV6_RUNS; i++) {
      const start = Date.now();
      await sim.qnet.must(['features', 'sys-net', 'ipv6', '1']);
      command.push(Date.now() - start);
      await until(async () => {
        for (const q of AFFECTED.filter((x) => x !== 'sys-firewall')) {
          if ((await probes.addresses(q, GUEST_DEVICE)).v6.length === 0) return false;
        }
        return true;
      });
      kernel.push(Date.now() - start);
      await sim.qnet.must(['features', 'sys-net', '--delete', 'ipv6']);
    }
    const moves = await measureMoves(sim, probes);
    const row = (name: string, samples: number[]) => ({ measure: name, runs: samples.length, ...summarize(samples) });
    printTable('sim: default topology (ms)', [
      row('qnet sim up (5 qubes + upstream)', up),
      row(`ipv6 on, command to last ack (${AFFECTED.length} qubes)`, command),
      row('ipv6 on, command to addresses seen in the guests', kernel),
      row('netvm move by hand, command to last ack', moves.command),
      row('netvm move, command to first IPv6 TCP answer', moves.first6),
      row('netvm move, command to first IPv4 TCP answer', moves.first4),
    ]);
  } finally {
    await sim.down();
    rmSync(base, { recursive: true, force: true });
  }
}

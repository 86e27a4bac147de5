import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoContext } from '../../sim/demo/run-demo';
import type { CheckLine, DemoContext } from '../../sim/demo/check-line';
import { simBinaries } from '../../sim/sim-binaries';
import { SimLayout } from '../../sim/sim-layout';
import { SIM_TOOLS, Simulation } from '../../sim/simulation';
import { DEFAULT_TOPOLOGY } from '../../sim/topology';
import { rootSkipReason } from '../helpers/netns';

/** Why the simulation cannot run here, or undefined when it can. */
export function simSkipReason(): string | undefined {
  const reason = rootSkipReason(SIM_TOOLS);
  if (reason) return reason;
  const bins = simBinaries();
  for (const file of [bins.qnetd, bins.qnet, bins.agent]) if (!existsSync(file)) return `not built: ${file}`;
  return undefined;
}

export interface SimHandle {
  sim: Simulation;
  ctx: DemoContext;
}

/**
 * One simulation per test file, built in `before` and always torn down in
 * `after` (a failing test included), in a sim dir of its own.
 */
export function useSimulation(): SimHandle {
  const handle = {} as SimHandle;
  let dir: string | undefined;
  before(async function () {
    const reason = simSkipReason();
    if (reason) return this.skip();
    this.timeout(120_000);
    dir = mkdtempSync(join(tmpdir(), 'qnet-sim-e2e-'));
    handle.sim = new Simulation(new SimLayout(join(dir, 'sim')));
    await handle.sim.up(DEFAULT_TOPOLOGY);
    handle.ctx = demoContext(handle.sim);
  });
  after(async function () {
    this.timeout(30_000);
    if (handle.sim) await handle.sim.down();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return handle;
}

/** Every line of a demo section must pass; the evidence (the packets seen) is the failure message. */
export function assertAllPass(lines: readonly CheckLine[], minimum: number): void {
  assert.ok(lines.length >= minimum, `expected at least ${minimum} checks, got ${lines.length}`);
  for (const l of lines) assert.ok(l.pass, `${l.section}: ${l.name}: ${l.evidence}`);
}

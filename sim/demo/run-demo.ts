import { writeLine, type CliIo } from '../../shared/cli/cli';
import { QnetError } from '../../shared/errors/qnet-error';
import type { SimLayout } from '../sim-layout';
import { Simulation } from '../simulation';
import { DEFAULT_TOPOLOGY } from '../topology';
import type { CheckLine, DemoContext } from './check-line';
import { Probes } from './probes';
import { DEMO_SECTIONS } from './sections';

export interface DemoOptions {
  readonly layout: SimLayout;
  readonly keep: boolean;
  readonly json: boolean;
  readonly signal: AbortSignal;
}

export function demoContext(sim: Simulation, note: (text: string) => void = () => {}): DemoContext {
  return { sim, probes: new Probes(sim), topology: DEFAULT_TOPOLOGY, note };
}

const describeError = (err: unknown) =>
  err instanceof QnetError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);

/**
 * Builds a fresh simulation (the scenario changes it, so it always starts
 * from the default topology), runs every section and prints one line per
 * check. A section that throws is one FAIL line; the rest still run.
 */
export async function runDemo(io: CliIo, opts: DemoOptions): Promise<number> {
  const say = (text: string) => {
    if (!opts.json) writeLine(io.stdout, text);
  };
  const sim = new Simulation(opts.layout, undefined, (l) => say(`  ... ${l}`));
  const lines: CheckLine[] = [];
  try {
    if (sim.isUp()) {
      say('a simulation is up: tearing it down to start from the default topology');
      await sim.down();
    }
    say(`qnet sim demo: building the simulated Qubes in ${opts.layout.root}`);
    const state = await sim.up(DEFAULT_TOPOLOGY, opts.signal);
    say(
      `up in ${state.upMs} ms: dom0, sys-net, sys-firewall, work, personal, disp1234, sys-vpn, vpn-app and the upstream\n`,
    );
    const ctx = demoContext(sim, (t) => say(`  ${t}`));
    for (const section of DEMO_SECTIONS) {
      if (opts.signal.aborted) break;
      say(`== ${section.title}`);
      let got: CheckLine[];
      try {
        got = await section.run(ctx);
      } catch (err) {
        got = [{ section: section.title, name: 'section ran to the end', pass: false, evidence: describeError(err) }];
      }
      for (const l of got) say(`${l.pass ? 'PASS' : 'FAIL'}  ${l.name}\n      ${l.evidence}`);
      lines.push(...got);
      say('');
    }
  } finally {
    if (!opts.keep || opts.signal.aborted) await sim.down();
  }
  const failed = lines.filter((l) => !l.pass).length;
  const interrupted = opts.signal.aborted;
  if (opts.json) writeLine(io.stdout, JSON.stringify({ checks: lines, failed, interrupted }));
  else {
    say(`${lines.length} checks: ${lines.length - failed} PASS, ${failed} FAIL${interrupted ? ' (interrupted)' : ''}`);
    say(
      opts.keep && !interrupted
        ? `the simulation stays up: qnet sim exec work -- ip addr; qnet sim down`
        : 'simulation torn down',
    );
  }
  return failed > 0 || interrupted || lines.length === 0 ? 1 : 0;
}

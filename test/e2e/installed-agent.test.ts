import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DemoContext } from '../../sim/demo/check-line';
import { demoContext } from '../../sim/demo/run-demo';
import { DEMO_SECTIONS } from '../../sim/demo/sections';
import { simBinaries } from '../../sim/sim-binaries';
import { SimLayout } from '../../sim/sim-layout';
import { Simulation } from '../../sim/simulation';
import { DEFAULT_TOPOLOGY } from '../../sim/topology';
import { dpkgSkipReason, installedAgent } from '../integration/packaging/package-fixture';
import { assertAllPass, simSkipReason } from './sim-fixture';

// What users install is what the simulator proves: the qnet-agent of the deb
// (installed with dpkg into a throw-away root), not the repository's build,
// serves every simulated qube through the whole demo scenario.
describe('e2e: the demo scenario with the qnet-agent the deb installed (QNET_SIM_AGENT)', function () {
  this.timeout(180_000);
  let sim: Simulation | undefined;
  let dir: string | undefined;
  let agent: string;
  let ctx: DemoContext;

  before(async function () {
    const reason = simSkipReason() ?? dpkgSkipReason();
    if (reason) return this.skip();
    agent = (await installedAgent()).path('usr/bin/qnet-agent');
    dir = mkdtempSync(join(tmpdir(), 'qnet-sim-installed-'));
    sim = new Simulation(new SimLayout(join(dir, 'sim')), simBinaries({ ...process.env, QNET_SIM_AGENT: agent }));
    await sim.up(DEFAULT_TOPOLOGY);
    ctx = demoContext(sim);
  });

  after(async function () {
    this.timeout(30_000);
    if (sim) await sim.down();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('every qube runs the installed agent', () => {
    const procs = ctx.sim.procs;
    const agents = procs.names().filter((n) => n.startsWith('agent-'));
    assert.ok(agents.length >= 5, `agents: ${agents.join(' ')}`);
    for (const name of agents) {
      const cmdline = readFileSync(`/proc/${procs.pidOf(name)}/cmdline`, 'utf8').split('\0');
      assert.ok(cmdline.includes(agent), `${name}: ${cmdline.join(' ')}`);
    }
  });

  for (const section of DEMO_SECTIONS) {
    it(`demo: ${section.title}`, async () => {
      assertAllPass(await section.run(ctx), 1);
    });
  }
});

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { CAST } from '../../sim/demo/cast';
import { netnsOf } from '../../sim/planners/plan-sim';
import { UPSTREAM } from '../../sim/planners/upstream-plan';
import { simBinaries } from '../../sim/sim-binaries';
import { useSimulation } from './sim-fixture';

const PROVIDER = 'sys-firewall';
/** The backoff cap qnetd ships with, plus the time a push and a status call take. */
const CONVERGE_WITHIN_MS = 60_000 + 5_000;

type Row = { qube: string; service: string; power: string; state: string; desired: number; applied: number | null };

/**
 * Issue 14 §1: an agent killed in the middle of a burst of firewall changes comes back with its older saved
 * document; qnetd's retries bring it to the newest one within the backoff cap, with nobody typing `qnet push`.
 * Proven with real packets from `work` through its netvm.
 */
describe('e2e: a killed agent converges after it restarts, with nobody pushing', function () {
  this.timeout(180_000);
  const s = useSimulation();
  const bins = simBinaries();
  const echo = { host: UPSTREAM.services[1], port: UPSTREAM.echoPorts[0] };
  const status = async () => {
    const r = await s.sim.qnet.run(['status', '--json']);
    return { code: r.status, rows: JSON.parse(r.stdout) as Row[] };
  };
  const firewallRow = (rows: Row[]) => rows.find((r) => r.qube === PROVIDER && r.service === 'qubes.FirewallSync')!;

  it('work is open before, the old firewall stays while the agent is down, the newest is in force after', async () => {
    const open = await s.ctx.probes.tcp(CAST.work, echo.host, echo.port);
    assert.ok(open.ok, `work reaches ${echo.host}:${echo.port} before: ${open.error}`);
    assert.equal((await status()).code, 0, 'converged before the burst');

    // A burst of changes; the provider's agent dies in the middle of it.
    const burst = (args: string[], input?: string) =>
      s.sim.qnet.must(['firewall', CAST.work, ...args, '--no-wait'], input);
    await burst(['add', 'accept', 'proto=tcp', 'dstports=1001']);
    await burst(['add', 'accept', 'proto=udp', 'dstports=1002']);
    const pid = s.sim.procs.pidOf(`agent-${PROVIDER}`);
    assert.ok(pid, 'the agent runs');
    process.kill(pid, 'SIGKILL');
    await burst(['add', 'accept', 'proto=tcp', 'dstports=1003']);
    await burst(['set'], 'accept proto=tcp dstports=1004\naction=drop\n');
    await burst(
      ['set'],
      `accept proto=udp specialtarget=dns\naccept proto=tcp dst4=${UPSTREAM.services[0]}\naction=drop\n`,
    );

    // Not converged, and qnetd says it keeps at it.
    let down = await status();
    const deadline = Date.now() + 20_000;
    while (firewallRow(down.rows).state !== 'retrying' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      down = await status();
    }
    assert.equal(down.code, 75);
    assert.match(
      (firewallRow(down.rows) as Row & { reason: string }).reason,
      /^retrying \(attempt \d+, next in \d+s\)/,
    );
    // The old firewall is still what the kernel enforces: work is still open.
    assert.ok((await s.ctx.probes.tcp(CAST.work, echo.host, echo.port)).ok, 'old rules while the agent is down');

    // The agent restarts (with its saved, older document); nobody types `qnet push`.
    const sock = s.sim.layout.agentSocket(PROVIDER);
    s.sim.procs.start(
      `agent-${PROVIDER}`,
      'ip',
      ['netns', 'exec', netnsOf(PROVIDER), bins.node, bins.agent, 'serve', '--socket', sock],
      s.sim.qubeEnv(PROVIDER),
    );
    const restartedAt = Date.now();
    let after = await status();
    while (after.code !== 0) {
      assert.ok(
        Date.now() - restartedAt < CONVERGE_WITHIN_MS,
        `not converged: ${JSON.stringify(firewallRow(after.rows))}`,
      );
      await new Promise((r) => setTimeout(r, 250));
      after = await status();
    }
    const row = firewallRow(after.rows);
    assert.equal(row.applied, row.desired);
    assert.ok(existsSync(sock));
    // The newest rules are in force: work no longer reaches the second service, still the first.
    const refused = await s.ctx.probes.tcp(CAST.work, echo.host, echo.port);
    assert.ok(!refused.ok, `refused by the newest rules, got through instead`);
    const allowed = await s.ctx.probes.tcp(CAST.work, UPSTREAM.services[0], echo.port);
    assert.ok(allowed.ok, `allowed by the newest rules: ${allowed.error}`);
  });
});

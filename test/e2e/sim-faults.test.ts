import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCollect, type RunResult } from '../../sim/qnet-cli';
import { simBinaries } from '../../sim/sim-binaries';
import { useSimulation } from './sim-fixture';

const bins = simBinaries();

type StatusJson = { state: string; up: boolean; dead: string[]; advice: string[]; qnetd: unknown };

/** The one-line error every failure must be: `qnet: CODE: message`, nothing else on stderr. */
function assertError(r: RunResult, exit: number, code: string, message: RegExp): void {
  assert.equal(r.status, exit, `exit ${r.status}: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line, got: ${r.stderr}`);
  assert.match(lines[0]!, new RegExp(`^qnet: ${code}: `));
  assert.match(lines[0]!, message);
}

/**
 * Issue 14 §5: faults injected with `qnet sim restart|kill` from a process other than
 * the one that built the sim, and `qnet sim status` telling the states apart without
 * ever advising what would destroy the running sim.
 */
describe('e2e: qnet sim restart | kill | status, from another process', function () {
  this.timeout(120_000);
  const s = useSimulation();
  const sim = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runCollect(bins.node, [bins.qnet, 'sim', ...args], {
      env: { QNET_SIM_DIR: s.sim.layout.root, ...env },
      timeoutMs: 60_000,
    });
  const status = async () => {
    const r = await sim(['status', '--json']);
    return { code: r.status, json: JSON.parse(r.stdout) as StatusJson };
  };
  const push = (qube: string) => s.sim.qnet.run(['push', qube, '--timeout', '5']);

  it('status of a healthy sim: exit 0, state up, nothing dead, qnetd answers', async () => {
    const { code, json } = await status();
    assert.equal(code, 0);
    assert.equal(json.state, 'up');
    assert.deepEqual(json.dead, []);
    assert.ok(Array.isArray(json.qnetd), 'qnetd status rows');
  });

  it('kill qnetd: status says degraded (exit 1), names qnetd, advises only `qnet sim restart qnetd`; restart brings it back', async () => {
    const killed = await sim(['kill', 'qnetd']);
    assert.equal(killed.status, 0, killed.stderr);
    assert.match(killed.stdout, /^killed qnetd \(SIGKILL\)$/m);

    const { code, json } = await status();
    assert.equal(code, 1);
    assert.equal(json.state, 'degraded');
    assert.deepEqual(json.dead, ['qnetd']);
    assert.deepEqual(json.advice, ['qnet sim restart qnetd']);
    const text = await sim(['status']);
    assert.equal(text.status, 1);
    assert.match(text.stdout, /^simulation up, but degraded: qnetd is dead/);
    assert.match(text.stdout, /^ {2}qnet sim restart qnetd$/m);
    assert.doesNotMatch(text.stdout, /sim (down|up)/, 'never advises tearing the running sim down');

    // `up` over it is refused (not a silent rebuild), and names what is dead.
    assertError(await sim(['up']), 75, 'CONFLICT', /already up, but qnetd is dead/);
    assertError(await sim(['kill', 'qnetd']), 75, 'CONFLICT', /qnetd is not running \(qnet sim restart qnetd/);

    const restarted = await sim(['restart', 'qnetd', '--json']);
    assert.equal(restarted.status, 0, restarted.stderr);
    assert.equal(JSON.parse(restarted.stdout).restarted, 'qnetd');
    assert.equal((await status()).code, 0);
    // Its embedded store kept every qube: a push reaches them all again.
    const pushed = await push('work');
    assert.equal(pushed.status, 0, pushed.stderr);
  });

  it('kill QUBE: a crash dom0 is not told of (it still shows the qube running); pushes fail until restart QUBE', async () => {
    const killed = await sim(['kill', 'work']);
    assert.equal(killed.status, 0, killed.stderr);
    assert.match(killed.stdout, /killed the agent of work/);
    assert.equal(s.sim.procs.running('agent-work'), false);

    const { code, json } = await status();
    assert.equal(code, 1);
    assert.deepEqual(json.dead, ['agent-work']);
    assert.deepEqual(json.advice, ['qnet sim restart work']);
    const running = await s.sim.qnet.run(['ls', '--running', '--raw-list']);
    assert.ok(running.stdout.split('\n').includes('work'), `dom0 still takes work for running: ${running.stdout}`);
    // Failed (70) or still retrying at the timeout (75): either way not applied.
    const failed = await push('work');
    assert.ok(
      [70, 75].includes(failed.status),
      `the push cannot reach a dead agent: ${failed.status} ${failed.stderr}`,
    );
    assertError(await sim(['kill', 'work']), 75, 'CONFLICT', /the agent of work is not running/);

    const restarted = await sim(['restart', 'work']);
    assert.equal(restarted.status, 0, restarted.stderr);
    assert.match(restarted.stdout, /^restarted the agent of work in \d+ ms$/m);
    assert.equal((await status()).code, 0);
    const pushed = await push('work');
    assert.equal(pushed.status, 0, `restart returns once the agent serves: ${pushed.stderr}`);
  });

  it('the Simulation API does the same in-process: killAgent, restartAgent, restartQnetd', async () => {
    const pid = s.sim.procs.pidOf('agent-personal');
    await s.sim.killAgent('personal');
    assert.equal(s.sim.health().state, 'degraded');
    assert.deepEqual(s.sim.health().dead, ['agent-personal']);
    await s.sim.restartAgent('personal');
    assert.notEqual(s.sim.procs.pidOf('agent-personal'), pid);
    assert.equal((await push('personal')).status, 0);
    // A running agent is stopped gracefully and replaced.
    const before = s.sim.procs.pidOf('agent-personal');
    await s.sim.restartAgent('personal');
    assert.notEqual(s.sim.procs.pidOf('agent-personal'), before);
    const qnetd = s.sim.procs.pidOf('qnetd');
    await s.sim.restartQnetd();
    assert.notEqual(s.sim.procs.pidOf('qnetd'), qnetd);
    assert.equal(s.sim.health().state, 'up');
    assert.equal((await push('personal')).status, 0);
    await assert.rejects(s.sim.restartAgent('qnetd'), { code: 'NOT_FOUND' }, 'a daemon is not a qube');
  });

  it('restart router, hotplug and upstream: the sim keeps working', async () => {
    for (const name of ['router', 'hotplug', 'upstream']) {
      const r = await sim(['restart', name]);
      assert.equal(r.status, 0, `${name}: ${r.stderr}`);
    }
    assert.equal((await status()).code, 0);
    assert.equal((await push('work')).status, 0, 'calls go through the new router');
    const dns = await sim(['exec', 'work', '--', 'getent', 'hosts', 'resolver.test']);
    assert.equal(dns.status, 0, dns.stderr);
  });

  it('error paths: unknown name 66, missing name 64, extra argument 64, each one line', async () => {
    assertError(await sim(['restart', 'nosuch']), 66, 'NOT_FOUND', /no qube or sim process "nosuch".*work/);
    assertError(await sim(['kill', 'dom0']), 66, 'NOT_FOUND', /"dom0"/);
    assertError(await sim(['restart']), 64, 'USAGE', /qnet sim restart QUBE\|qnetd/);
    assertError(await sim(['kill', 'work', 'personal']), 64, 'USAGE', /unexpected argument "personal"/);
    assertError(await sim(['restart', 'work', '--bogus']), 64, 'USAGE', /--bogus/);
  });
});

describe('e2e: qnet sim restart | kill | status without a simulation', function () {
  this.timeout(30_000);
  let base: string;
  before(function () {
    if (process.getuid?.() !== 0 || !existsSync(bins.qnet)) this.skip();
    base = mkdtempSync(join(tmpdir(), 'qnet-sim-none-'));
  });
  after(() => base && rmSync(base, { recursive: true, force: true }));
  const sim = (args: string[]) =>
    runCollect(bins.node, [bins.qnet, 'sim', ...args], { env: { QNET_SIM_DIR: join(base, 'sim') } });

  it('status: down, exit 3, advises up', async () => {
    const r = await sim(['status', '--json']);
    assert.equal(r.status, 3);
    const json = JSON.parse(r.stdout) as StatusJson;
    assert.equal(json.state, 'down');
    assert.deepEqual(json.advice, ['qnet sim up']);
    const text = await sim(['status']);
    assert.equal(text.status, 3);
    assert.match(text.stdout, /^simulation down/);
  });

  it('restart, kill and exec: 69 UNAVAILABLE, one line', async () => {
    assertError(await sim(['restart', 'qnetd']), 69, 'UNAVAILABLE', /no simulation is up/);
    assertError(await sim(['kill', 'work']), 69, 'UNAVAILABLE', /no simulation is up/);
    assertError(await sim(['exec', 'work', '--', 'true']), 69, 'UNAVAILABLE', /no simulation is up/);
  });

  it('--help of restart, kill, exec and status: exit 0, usage on stdout', async () => {
    for (const [cmd, usage] of [
      ['restart', /^usage: qnet sim restart QUBE\|qnetd\|router\|hotplug\|upstream/],
      ['kill', /^usage: qnet sim kill QUBE\|qnetd/],
      ['exec', /^usage: qnet sim exec QUBE .*-- CMD/],
      ['status', /exit 0 up, 1 degraded, 3 down, 4 starting/i],
    ] as const) {
      const r = await sim([cmd, '--help']);
      assert.equal(r.status, 0, `${cmd}: ${r.stderr}`);
      assert.match(r.stdout, usage, cmd);
      assert.equal(r.stderr, '');
    }
  });
});

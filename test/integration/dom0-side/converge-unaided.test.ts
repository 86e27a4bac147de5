import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../../../shared/logging/logger';
import { DenyAllPolicy } from '../../../sim/qrexec/policy-hook';
import { Router } from '../../../sim/qrexec/router';
import { Qubes, type PushStatus, type QnetdEvent } from '../../../dom0-side/sdk/index';
import { Netns, rootSkipReason } from '../../helpers/netns';
import { stopChild, tempDir } from '../../helpers/processes';
import { QnetdKit, runQnet } from './qnetd-kit';

const AGENT_MAIN = join(__dirname, '..', '..', '..', 'vm-side', 'main.js');

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Real processes end to end, without the simulator: qnetd (its shipped retry policy) pushes through the
 * simulation router to a real qnet-agent serving its socket inside a network namespace. The agent is down
 * when sys-net starts; it comes up later, and nobody types `qnet push`.
 */
describe('dom0-side qnetd converges a qube whose agent was down, with nobody pushing (real processes, root)', function () {
  this.timeout(60_000);
  let ns: Netns | undefined;
  let dir: ReturnType<typeof tempDir> | undefined;
  let router: Router | undefined;
  let kit: QnetdKit | undefined;
  let agent: ChildProcess | undefined;
  let app: Qubes | undefined;

  before(function () {
    if (rootSkipReason(['ip', 'nft', 'sysctl'])) this.skip();
  });
  afterEach(async () => {
    app?.events.close();
    app?.close();
    if (agent) await stopChild(agent);
    await kit?.dispose();
    await router?.dispose();
    ns?.dispose();
    dir?.dispose();
  });

  it('retries with backoff until the agent answers, then status exits 0 and the agent holds the desired generation', async () => {
    dir = tempDir('converge');
    ns = new Netns('conv');
    const agentRun = join(dir.path, 'agent-run');
    const agentState = join(dir.path, 'agent-state');
    const agentSocket = join(agentRun, 'agent.sock');
    const sim = (name: string) => ({
      name,
      callerSocket: join(dir!.path, `router-${name}.sock`),
      serviceDir: join(dir!.path, name, 'qubes-rpc'),
    });
    const qubes = [sim('dom0'), sim('sys-net')];
    mkdirSync(qubes[1].serviceDir, { recursive: true });
    // As in /etc/qubes-rpc: entries point at the agent's socket, which does not exist yet (agent down).
    for (const svc of ['qubes.NetConfig', 'qubes.FirewallSync', 'qubes.DnsUpdate', 'qnet.Ping']) {
      symlinkSync(agentSocket, join(qubes[1].serviceDir, svc));
    }
    router = new Router({ qubes, adminVm: 'dom0', callTimeoutMs: 10_000 }, new DenyAllPolicy(), silentLogger);
    await router.start();
    kit = new QnetdKit({ recording: false, env: { QNET_ROUTER_SOCKET: qubes[0].callerSocket } });
    await kit.start();
    app = await Qubes.connect({ runDir: kit.runDir });
    const events: QnetdEvent[] = [];
    app.events.on('*', (e) => events.push(e));
    await app.events.ready();

    await app.domains.create('sys-net', { providesNetwork: true });
    const vm = await app.domains.get('sys-net');
    const report = await (await vm.start()).wait({ timeoutMs: 30_000 });
    assert.ok(
      report.failed.some((r) => r.qube === 'sys-net'),
      'the first tries fail and are reported so',
    );
    const netConfig = () => app!.status().then((rows) => rows.find((r) => r.service === 'qubes.NetConfig'));
    const retrying = await until('a few retries', 20_000, async () => {
      const row = await netConfig();
      return row?.state === 'retrying' && (row.attempts ?? 0) >= 5 ? row : undefined;
    });
    assert.match(retrying.reason!, /^retrying \(attempt \d+, next in \d+s\)/);
    // Beyond the 4 tries (about 1.75 s) after which the old qnetd gave up for good.
    assert.ok(retrying.attempts! > 4);
    const notConverged = await runQnet(kit, ['status']);
    assert.equal(notConverged.code, 75, notConverged.stdout);

    // The agent comes up; from now on nobody pushes.
    agent = spawn('ip', ['netns', 'exec', ns.name, process.execPath, AGENT_MAIN, 'serve'], {
      env: {
        ...process.env,
        QNET_STATE_DIR: agentState,
        QNET_RUN_DIR: agentRun,
        QNET_RESOLV_CONF: join(dir.path, 'resolv.conf'),
        QNET_PROTECTED_FILES_DIR: join(dir.path, 'protected'),
        QNET_RESOLVECTL: '',
        QNET_NMCLI: '',
        QNET_LOG_LEVEL: 'error',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const upAt = Date.now();
    const rows = await until('convergence without a push', 70_000, async () => {
      const all: PushStatus[] = await app!.status();
      return all.length > 0 && all.every((r) => r.state === 'ok') ? all : undefined;
    });
    const waited = Date.now() - upAt;
    // The next retry comes within the current backoff (at most the 60 s cap).
    assert.ok(waited < 62_000, `converged ${waited} ms after the agent came up`);
    const status = await runQnet(kit, ['status']);
    assert.equal(status.code, 0, status.stdout);
    // The SDK's events: each push reported failed once, then acknowledged after the agent came up.
    await until('the push-done events', 10_000, async () =>
      events.filter((e) => e.type === 'push-done').length >= 2 ? true : undefined,
    );
    const netEvents = events.filter((e) => e.service === 'qubes.NetConfig').map((e) => e.type);
    assert.deepEqual(netEvents, ['push-failed', 'push-done']);
    // The agent holds exactly what dom0 wants, and its kernel has it.
    for (const row of rows) {
      const saved = JSON.parse(readFileSync(join(agentState, `${row.service}.json`), 'utf8')) as {
        generation: number;
      };
      assert.equal(saved.generation, row.desired, row.service);
    }
    assert.ok(existsSync(agentSocket));
    assert.equal(ns.run('nft', ['list', 'table', 'ip', 'qubes']).status, 0);
  });
});

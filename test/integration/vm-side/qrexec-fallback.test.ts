import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { Ping } from '../../../services';
import { encode, unpackStrict } from '../../../shared/codec/strict-unpackr';
import { QrexecFailedError } from '../../../shared/errors/client-errors';
import { silentLogger } from '../../../shared/logging/logger';
import { DenyAllPolicy } from '../../../sim/qrexec/policy-hook';
import { Router } from '../../../sim/qrexec/router';
import { socketIsLive } from '../../../shared/runtime/unix-socket';
import { RouterTransport } from '../../../shared/transport/router-transport';
import { ServiceClient } from '../../../shared/transport/service-client';
import { Netns, rootSkipReason } from '../../helpers/netns';
import { runProcess, stopChild, tempDir, waitFor } from '../../helpers/processes';

const MAIN = join(__dirname, '..', '..', '..', 'vm-side', 'main.js');

/**
 * The agent laid out by `qnet-agent install` behind the repo's qrexec stand-in
 * (the router), which looks services up as qrexec-agent does: the tmpfiles
 * links to the agent socket first (/run/qubes-rpc), then the executables
 * (/etc/qubes-rpc). The socket-form agent runs in its own network namespace,
 * since it lays its base firewall tables at start.
 */
describe('qnet-agent behind qrexec: install, argv[1], and the fallback after a crash', function () {
  this.timeout(60_000);
  let ns: Netns | undefined;
  let agent: ChildProcess | undefined;
  let router: Router | undefined;
  const tmp = tempDir('qrexec-fallback');
  const root = join(tmp.path, 'root');
  const runDir = join(tmp.path, 'run');
  const stateDir = join(tmp.path, 'state');
  const socket = join(runDir, 'agent.sock');
  const rpcRun = join(tmp.path, 'run-qubes-rpc');
  const execLog = join(tmp.path, 'exec.log');
  const dom0 = join(tmp.path, 'router-dom0.sock');

  before(async function () {
    if (rootSkipReason(['ip', 'nft'])) this.skip();
    ns = new Netns('qfb');
    // The agent binary the fallbacks exec: records each start, then runs the real agent in the namespace.
    const agentBin = join(tmp.path, 'qnet-agent');
    writeFileSync(
      agentBin,
      `#!/bin/sh\necho "$*" >> '${execLog}'\n` +
        `QNET_STATE_DIR='${stateDir}' QNET_RUN_DIR='${runDir}' QNET_LOG_LEVEL=error ` +
        `exec ip netns exec '${ns.name}' '${process.execPath}' '${MAIN}' "$@"\n`,
    );
    chmodSync(agentBin, 0o755);
    const install = await runProcess(
      process.execPath,
      [MAIN, 'install', '--root', root, '--agent-bin', agentBin, '--run-dir', runDir, '--state-dir', stateDir],
      Buffer.alloc(0),
    );
    assert.equal(install.status, 0, install.stderr);
    // What systemd-tmpfiles makes of the laid entry: /run/qubes-rpc/SERVICE -> the agent socket.
    mkdirSync(rpcRun);
    const tmpfiles = readFileSync(join(root, 'usr/lib/tmpfiles.d/qnet-agent.conf'), 'utf8');
    for (const m of tmpfiles.matchAll(/^L\+ \/run\/qubes-rpc\/(\S+) - - - - (\S+)$/gm)) {
      symlinkSync(m[2], join(rpcRun, m[1]));
    }
    router = new Router(
      {
        qubes: [
          { name: 'dom0', callerSocket: dom0, serviceDir: join(tmp.path, 'none') },
          {
            name: 'work',
            callerSocket: join(tmp.path, 'router-work.sock'),
            serviceDir: rpcRun,
            fallbackDirs: [join(root, 'etc/qubes-rpc')],
          },
        ],
        adminVm: 'dom0',
        callTimeoutMs: 20_000,
      },
      new DenyAllPolicy(),
      silentLogger,
    );
    await router.start();
  });
  after(async () => {
    if (agent) await stopChild(agent);
    await router?.dispose();
    ns?.dispose();
    tmp.dispose();
  });

  const startAgent = async () => {
    const child = spawn('ip', ['netns', 'exec', ns!.name, process.execPath, MAIN, 'serve'], {
      env: { ...process.env, QNET_STATE_DIR: stateDir, QNET_RUN_DIR: runDir, QNET_LOG_LEVEL: 'error' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    agent = child;
    // Live, not merely present: a stale file may be there before the agent replaces it.
    const deadline = Date.now() + 15_000;
    while (!(await socketIsLive(socket))) {
      assert.equal(child.exitCode, null, 'agent exited');
      assert.ok(Date.now() < deadline, 'agent socket did not come up');
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const client = () => new ServiceClient(new RouterTransport(dom0));
  const execStarts = () => (existsSync(execLog) ? readFileSync(execLog, 'utf8').trim().split('\n') : []);
  const raw = async (serviceAndArg: string) => {
    const reply = await new RouterTransport(dom0).invoke('work', serviceAndArg, encode({}), {
      timeoutMs: 20_000,
      maxReplyBytes: 4096,
    });
    return unpackStrict(reply) as { ok: boolean; error?: { code: string; message: string } };
  };

  it("lays upstream's rpc-config (force-user='root') for the services that change the network", () => {
    for (const svc of ['qubes.NetConfig', 'qubes.DnsUpdate', 'qubes.FirewallSync']) {
      const text = readFileSync(join(root, 'etc/qubes/rpc-config', svc), 'utf8');
      assert.deepEqual(
        text.split('\n').filter((l) => l && !l.startsWith('#')),
        ["force-user='root'"],
      );
    }
    assert.equal(existsSync(join(root, 'etc/qubes/rpc-config/qnet.Ping')), false);
  });

  it('answers through the executable fallback while no agent runs, with argv[1] as the argument', async () => {
    const pong = await client().call(Ping, 'work', { nonce: 'exec' });
    assert.deepEqual([pong.nonce, pong.caller], ['exec', 'dom0']);
    // qrexec passes a non-empty argument as argv[1]; the installed wrapper hands it on after `--`.
    const withArg = await raw('qnet.Ping+x');
    assert.deepEqual(withArg, { ok: false, error: { code: 'BAD_REQUEST', message: 'qnet.Ping takes no argument' } });
    assert.deepEqual(execStarts().slice(-2), ['service qnet.Ping --', 'service qnet.Ping -- x']);
  });

  it('the socket form answers the same envelope for an argument as the executable form', async () => {
    await startAgent();
    const before = execStarts().length;
    assert.deepEqual(await raw('qnet.Ping+x'), {
      ok: false,
      error: { code: 'BAD_REQUEST', message: 'qnet.Ping takes no argument' },
    });
    assert.equal(execStarts().length, before, 'served by the socket, no process started');
  });

  it('after kill -9 of the socket-form agent, calls are answered by the executable fallback', async () => {
    if (!agent) await startAgent();
    const before = execStarts().length;
    agent!.kill('SIGKILL');
    await new Promise((r) => agent!.once('exit', r));
    agent = undefined;
    // The agent's watcher removes the socket file as soon as the agent is gone; until then qrexec
    // would be refused (125). Give it a moment, as the harness does (0.3 s), but no more.
    await waitFor(() => !existsSync(socket), 1000, 'the dead agent socket to go').catch(() => {});
    const pong = await client().call(Ping, 'work', { nonce: 'after-crash' });
    assert.equal(pong.nonce, 'after-crash');
    assert.equal(execStarts().length, before + 1, 'the executable form answered');
  });

  it('a restarted agent removes a stale socket and serves again; a dead socket alone fails as qrexec does (125)', async () => {
    // A socket file nobody listens on, as a crash without the watcher leaves it.
    mkdirSync(runDir, { recursive: true });
    const made = spawnSync('python3', [
      '-c',
      'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])',
      socket,
    ]);
    assert.equal(made.status, 0, String(made.stderr));
    await assert.rejects(client().call(Ping, 'work', {}), QrexecFailedError);
    await startAgent();
    const before = execStarts().length;
    const pong = await client().call(Ping, 'work', { nonce: 'again' });
    assert.equal(pong.nonce, 'again');
    assert.equal(execStarts().length, before, 'served by the socket');
    rmSync(execLog, { force: true });
  });
});

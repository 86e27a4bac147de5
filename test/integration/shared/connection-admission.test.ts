import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PolicyDaemonServer } from '../../../policy/daemon/policy-daemon-server';
import { PolicySource } from '../../../policy/policy-source';
import { encode, unpackStrict } from '../../../shared/codec/strict-unpackr';
import { silentLogger } from '../../../shared/logging/logger';
import { DEFAULT_ADMISSION_OPTIONS } from '../../../shared/runtime/connection-admission';
import type { PolicyHook } from '../../../sim/qrexec/policy-hook';
import { Router } from '../../../sim/qrexec/router';
import { formatRouterHeader } from '../../../shared/transport/router-protocol';
import { startSocketProcess, stopChild, tempDir, waitFor } from '../../helpers/processes';
import { goodCall, goodCalls, holdConnections, type CallOutcome, type HeldConnections } from './socket-load';

const ROOT = join(__dirname, '../../..');
const ECHO_HOST = join(ROOT, 'test/fixtures/echo-host-main.js');
const QNETD = join(ROOT, 'dom0-side/daemon/main.js');
const POLICY_COMMAND = join(ROOT, 'policy/cli/policy-command.js');
const CLI_IO = join(ROOT, 'shared/cli/cli.js');

const nul = (text: string) => Buffer.from(`${text}\0`, 'latin1');
const ping = (descriptor: string) => Buffer.concat([nul(descriptor), encode({})]);
const envelopeOk = (o: CallOutcome, skip = 0) => {
  if (!o.answered) return false;
  try {
    return (unpackStrict(o.reply.subarray(skip)) as { ok: boolean }).ok === true;
  } catch {
    return false;
  }
};
const summary = (outcomes: CallOutcome[], ok: (o: CallOutcome) => boolean) => {
  const bad = outcomes.filter((o) => !ok(o));
  return `${outcomes.length - bad.length}/${outcomes.length} answered; first failure: ${bad[0]?.error ?? bad[0]?.reply.toString('latin1').slice(0, 80)}`;
};

/**
 * Slow and silent clients hold connections while well-behaved callers call:
 * every well-behaved call must be answered. On the old servers each held
 * connection took one of 256 slots and every caller beyond was closed unanswered.
 */
describe('connection admission under hostile load (real processes, real Unix sockets)', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  const held: HeldConnections[] = [];
  beforeEach(() => (tmp = tempDir('admission')));
  afterEach(() => {
    for (const h of held.splice(0)) h.stop();
    tmp.dispose();
  });
  const hold = async (...args: Parameters<typeof holdConnections>) => {
    const h = await holdConnections(...args);
    held.push(h);
    return h;
  };

  describe('the socket form (agent)', () => {
    let host: Awaited<ReturnType<typeof startSocketProcess>>;
    let sock: string;
    beforeEach(async () => {
      sock = join(tmp.path, 'agent.sock');
      host = await startSocketProcess(ECHO_HOST, ['serve', '--socket', sock], sock);
    });
    afterEach(() => host.stop());

    it('answers 500 concurrent callers while one source holds 300 slow connections and 100 connections say nothing', async () => {
      await hold(sock, 300, 'slow', { prefix: nul('qnet.Ping attacker') });
      await hold(sock, 100, 'silent');
      const outcomes = await goodCalls(sock, 500, (i) => ping(`qnet.Ping vm${i % 50}`));
      assert.ok(
        outcomes.every((o) => envelopeOk(o)),
        summary(outcomes, (o) => envelopeOk(o)),
      );
    });

    it('a caller of the attacking source itself is answered: a slow reader yields its slot after a second', async () => {
      const slow = await hold(sock, 300, 'slow', { prefix: nul('qnet.Ping work') });
      const outcomes = await goodCalls(sock, 50, () => ping('qnet.Ping work'));
      assert.ok(
        outcomes.every((o) => envelopeOk(o)),
        summary(outcomes, (o) => envelopeOk(o)),
      );
      assert.ok(slow.closedByServer() > 0, 'no slow reader was made to yield');
    });
  });

  describe("qnetd's qrexec and admin sockets (a qnetd process)", () => {
    let qnetd: ReturnType<typeof spawn>;
    let run: string;
    beforeEach(async () => {
      run = join(tmp.path, 'run');
      qnetd = spawn(process.execPath, [QNETD, '--state-dir', join(tmp.path, 'state'), '--run-dir', run], {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, QNET_LOG_LEVEL: 'error' },
      });
      await waitFor(() => existsSync(join(run, 'qnetd.sock')) || qnetd.exitCode !== null, 10_000, 'qnetd sockets');
      assert.equal(qnetd.exitCode, null);
    });
    afterEach(() => stopChild(qnetd));

    it('the boot-pull socket (any qube may call it) answers 500 callers while one qube holds 300 slow calls', async () => {
      const sock = join(run, 'qrexec.sock');
      await hold(sock, 300, 'slow', { prefix: nul('qnet.Ping attacker name dom0') });
      const outcomes = await goodCalls(sock, 500, (i) => ping(`qnet.Ping vm${i % 50} name dom0`));
      assert.ok(
        outcomes.every((o) => envelopeOk(o)),
        summary(outcomes, (o) => envelopeOk(o)),
      );
    });

    it('the admin socket (every caller is dom0) answers its callers while 600 connections hold or wait for slots', async () => {
      const sock = join(run, 'qnetd.sock');
      // more than there are reading slots: callers queue behind slow readers, which must give way
      await hold(sock, 600, 'slow', { prefix: nul('qnet.Ping dom0 name dom0') });
      const outcomes = await goodCalls(sock, 100, () => ping('qnet.Ping dom0 name dom0'));
      assert.ok(
        outcomes.every((o) => envelopeOk(o)),
        summary(outcomes, (o) => envelopeOk(o)),
      );
    });
  });

  describe('the policy daemon (a `qnet policy serve` process)', () => {
    it('answers 500 concurrent requests while 300 callers dribble and 100 say nothing', async () => {
      writeFileSync(
        join(tmp.path, 'sys.json'),
        JSON.stringify({ domains: { work: { uuid: 'w' }, vault: { uuid: 'v' } } }),
      );
      mkdirSync(join(tmp.path, 'pol'));
      writeFileSync(join(tmp.path, 'pol/30-a.policy'), 'qubes.S * work vault allow\n');
      const sock = join(tmp.path, 'policy.sock');
      const script =
        `require(${JSON.stringify(POLICY_COMMAND)}).run(process.argv.slice(1), require(${JSON.stringify(CLI_IO)}).processIo())` +
        '.then((c) => { process.exitCode = c; })';
      const argv = ['serve', '--socket', sock, '--policy-dir', join(tmp.path, 'pol')];
      const child = spawn(
        process.execPath,
        ['-e', script, '--', ...argv, '--system-info', join(tmp.path, 'sys.json')],
        {
          stdio: ['ignore', 'ignore', 'inherit'],
        },
      );
      try {
        await waitFor(() => existsSync(sock) || child.exitCode !== null, 10_000, 'policy.sock');
        await hold(sock, 300, 'slow', { prefix: Buffer.from('source=work\nintended_target=') });
        await hold(sock, 100, 'silent');
        const request = Buffer.from('source=work\nintended_target=vault\nservice_and_arg=qubes.S\n\n');
        const allowed = (o: CallOutcome) => o.answered && o.reply.toString().includes('result=allow');
        const outcomes = await goodCalls(sock, 500, () => request);
        assert.ok(outcomes.every(allowed), summary(outcomes, allowed));
      } finally {
        await stopChild(child);
      }
    });

    it('ends a request that keeps dribbling at its total deadline, however steadily it writes', async () => {
      const source = new PolicySource({ policyDirs: [tmp.path], systemInfoPath: join(tmp.path, 'none.json') });
      const server = new PolicyDaemonServer(source, { ...DEFAULT_ADMISSION_OPTIONS, readDeadlineMs: 600 });
      const sock = join(tmp.path, 'policy.sock');
      await server.listen(sock);
      try {
        // One byte every 100 ms: an inactivity timer never fires; only a total deadline ends it.
        const t0 = Date.now();
        const slow = await hold(sock, 1, 'slow', { prefix: Buffer.from('source=work\n'), dripMs: 100 });
        await waitFor(() => slow.closedByServer() === 1, 5000, 'the dribbler to be cut off');
        assert.ok(Date.now() - t0 < 3000);
      } finally {
        await server.dispose();
      }
    });
  });

  describe('the simulator router (in front of a socket-form agent process)', () => {
    it('answers 200 calls of one qube while another qube holds 300 slow calls through the router', async () => {
      const serviceDir = join(tmp.path, 'sys-net-rpc');
      mkdirSync(serviceDir);
      const agentSock = join(tmp.path, 'agent.sock');
      const host = await startSocketProcess(ECHO_HOST, ['serve', '--socket', agentSock], agentSock);
      symlinkSync(agentSock, join(serviceDir, 'qnet.Ping'));
      const qube = (name: string, dir = join(tmp.path, 'none')) => ({
        name,
        callerSocket: join(tmp.path, `${name}.sock`),
        serviceDir: dir,
      });
      const qubes = [qube('work'), qube('attacker'), qube('sys-net', serviceDir)];
      const allowAll: PolicyHook = { evaluate: (q) => ({ allow: true, target: q.target }) };
      const router = new Router({ qubes, adminVm: 'dom0', callTimeoutMs: 30_000 }, allowAll, silentLogger);
      await router.start();
      try {
        await hold(qubes[1].callerSocket, 300, 'slow', { prefix: formatRouterHeader('sys-net', 'qnet.Ping') });
        await hold(qubes[1].callerSocket, 100, 'silent');
        const request = Buffer.concat([formatRouterHeader('sys-net', 'qnet.Ping'), encode({})]);
        const ok = (o: CallOutcome) => o.answered && o.reply[0] === 0 && envelopeOk(o, 1);
        const outcomes = await goodCalls(qubes[0].callerSocket, 200, () => request);
        assert.ok(outcomes.every(ok), summary(outcomes, ok));
        // and the attacking qube itself still gets through, once its slow calls yield
        assert.ok(ok(await goodCall(qubes[1].callerSocket, request)));
      } finally {
        await router.dispose();
        await host.stop();
      }
    });
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode, unpackStrict } from '../shared/codec/strict-unpackr';
import { formatRouterHeader } from '../shared/transport/router-protocol';
import { stopChild, tempDir, waitFor } from '../test/helpers/processes';
import {
  goodCall,
  goodCalls,
  holdConnections,
  type AttackKind,
  type CallOutcome,
  type HeldConnections,
} from '../test/integration/shared/socket-load';
import { printTable, summarize, type BenchRow } from './lib/table';

/**
 * Soak: every socket qnet opens, under hostile load, while well-behaved
 * callers measure what they get. Bounded: a few hundred attacker connections
 * (re-opened whenever a server sheds one) and a fixed time per socket; local
 * Unix sockets and child processes only, no network.
 */

const ROOT = join(__dirname, '..');
const ECHO_HOST = join(ROOT, 'test/fixtures/echo-host-main.js');
const QNETD = join(ROOT, 'dom0-side/daemon/main.js');
const ROUTER = join(ROOT, 'sim/qrexec/router-main.js');
const POLICY_COMMAND = join(ROOT, 'policy/cli/policy-command.js');
const CLI_IO = join(ROOT, 'shared/cli/cli.js');

/** Per socket: attackers held during the whole window, steady good callers, then one burst. */
const ATTACK: readonly { kind: AttackKind; count: number }[] = [
  { kind: 'slow', count: 300 },
  { kind: 'silent', count: 100 },
  { kind: 'flood', count: 10 },
];
const STEADY_MS = 5000;
const STEADY_CALLERS = 20;
const BURST = 500;

interface Target {
  readonly name: string;
  /** Where the attackers connect and what they write first (a valid header, so they get as far as they can). */
  readonly attackPath: string;
  readonly attackPrefix: Buffer;
  readonly goodPath: string;
  goodRequest(i: number): Buffer;
  answeredWell(o: CallOutcome): boolean;
  stop(): Promise<void>;
}

const nul = (text: string) => Buffer.from(`${text}\0`, 'latin1');
const envelopeOk = (bytes: Buffer) => {
  try {
    return (unpackStrict(bytes) as { ok: boolean }).ok === true;
  } catch {
    return false;
  }
};

function spawnNode(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, args, {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, QNET_LOG_LEVEL: 'error', ...env },
  });
}

async function started(child: ChildProcess, paths: string[]): Promise<() => Promise<void>> {
  await waitFor(() => paths.every((p) => existsSync(p)) || child.exitCode !== null, 15_000, paths.join(', '));
  if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
  return () => stopChild(child);
}

async function agentSocket(dir: string): Promise<Target> {
  const sock = join(dir, 'agent.sock');
  const stop = await started(spawnNode([ECHO_HOST, 'serve', '--socket', sock]), [sock]);
  return {
    name: 'agent socket form (qnet.Ping)',
    attackPath: sock,
    attackPrefix: nul('qnet.Ping attacker'),
    goodPath: sock,
    goodRequest: (i) => Buffer.concat([nul(`qnet.Ping vm${i % 50}`), encode({})]),
    answeredWell: (o) => o.answered && envelopeOk(o.reply),
    stop,
  };
}

async function qnetd(dir: string): Promise<{ qrexec: Target; admin: Target }> {
  const run = join(dir, 'run');
  const stop = await started(spawnNode([QNETD, '--state-dir', join(dir, 'state'), '--run-dir', run]), [
    join(run, 'qrexec.sock'),
    join(run, 'qnetd.sock'),
  ]);
  const qrexecSock = join(run, 'qrexec.sock');
  const adminSock = join(run, 'qnetd.sock');
  const ping = (source: string) => Buffer.concat([nul(`qnet.Ping ${source} name dom0`), encode({})]);
  return {
    qrexec: {
      name: 'qnetd qrexec socket (boot pull)',
      attackPath: qrexecSock,
      attackPrefix: nul('qnet.Ping attacker name dom0'),
      goodPath: qrexecSock,
      goodRequest: (i) => ping(`vm${i % 50}`),
      answeredWell: (o) => o.answered && envelopeOk(o.reply),
      stop: async () => {},
    },
    admin: {
      name: 'qnetd admin socket (all callers dom0)',
      attackPath: adminSock,
      attackPrefix: nul('qnet.Ping dom0 name dom0'),
      goodPath: adminSock,
      goodRequest: () => ping('dom0'),
      answeredWell: (o) => o.answered && envelopeOk(o.reply),
      stop,
    },
  };
}

const SYSTEM_INFO = JSON.stringify({
  domains: Object.fromEntries(
    ['dom0', 'work', 'attacker', 'sys-net', 'vault'].map((name, i) => [
      name,
      {
        type: name === 'dom0' ? 'AdminVM' : 'AppVM',
        tags: [],
        uuid: `00000000-0000-0000-0000-00000000000${i}`,
        power_state: 'Running',
      },
    ]),
  ),
});

async function policyDaemon(dir: string): Promise<Target> {
  mkdirSync(join(dir, 'pol'));
  writeFileSync(join(dir, 'pol/30-soak.policy'), 'qubes.S * work vault allow\n');
  writeFileSync(join(dir, 'sys.json'), SYSTEM_INFO);
  const sock = join(dir, 'policy.sock');
  const script =
    `require(${JSON.stringify(POLICY_COMMAND)}).run(process.argv.slice(1), require(${JSON.stringify(CLI_IO)}).processIo())` +
    '.then((c) => { process.exitCode = c; })';
  const args = ['serve', '--socket', sock, '--policy-dir', join(dir, 'pol'), '--system-info', join(dir, 'sys.json')];
  const child = spawn(process.execPath, ['-e', script, '--', ...args], { stdio: ['ignore', 'ignore', 'ignore'] });
  const stop = await started(child, [sock]);
  return {
    name: 'policy daemon (qnet policy serve)',
    attackPath: sock,
    attackPrefix: Buffer.from('source=attacker\nintended_target='),
    goodPath: sock,
    goodRequest: () => Buffer.from('source=work\nintended_target=vault\nservice_and_arg=qubes.S\n\n'),
    answeredWell: (o) => o.answered && o.reply.toString().includes('result=allow'),
    stop,
  };
}

/** The router process with the real policy engine, in front of a socket-form agent process (sys-net). */
async function router(dir: string): Promise<Target> {
  const rpc = join(dir, 'sys-net-rpc');
  mkdirSync(rpc);
  mkdirSync(join(dir, 'pol'), { recursive: true });
  writeFileSync(join(dir, 'pol/30-router.policy'), 'qnet.Ping * @anyvm sys-net allow\n');
  writeFileSync(join(dir, 'sys.json'), SYSTEM_INFO);
  const agentSock = join(dir, 'sys-net.agent.sock');
  const stopAgent = await started(spawnNode([ECHO_HOST, 'serve', '--socket', agentSock]), [agentSock]);
  symlinkSync(agentSock, join(rpc, 'qnet.Ping'));
  const qube = (name: string) => ({
    name,
    callerSocket: join(dir, `${name}.router.sock`),
    serviceDir: join(dir, 'none'),
  });
  const qubes = [qube('dom0'), qube('work'), qube('attacker'), { ...qube('sys-net'), serviceDir: rpc }];
  const config = join(dir, 'router.json');
  writeFileSync(
    config,
    JSON.stringify({
      adminVm: 'dom0',
      callTimeoutMs: 30_000,
      qubes,
      policyDirs: [join(dir, 'pol')],
      systemInfoPath: join(dir, 'sys.json'),
    }),
  );
  const stopRouter = await started(
    spawnNode([ROUTER, '--config', config]),
    qubes.map((q) => q.callerSocket),
  );
  const request = Buffer.concat([formatRouterHeader('sys-net', 'qnet.Ping'), encode({})]);
  return {
    name: 'sim router → agent (per-qube sockets)',
    attackPath: qubes[2].callerSocket,
    attackPrefix: formatRouterHeader('sys-net', 'qnet.Ping'),
    goodPath: qubes[1].callerSocket,
    goodRequest: () => request,
    answeredWell: (o) => o.answered && o.reply[0] === 0 && envelopeOk(o.reply.subarray(1)),
    stop: async () => {
      await stopRouter();
      await stopAgent();
    },
  };
}

async function soak(target: Target): Promise<BenchRow> {
  const held: HeldConnections[] = [];
  try {
    for (const { kind, count } of ATTACK) {
      held.push(await holdConnections(target.attackPath, count, kind, { prefix: target.attackPrefix, reopen: true }));
    }
    const outcomes: CallOutcome[] = [];
    const until = Date.now() + STEADY_MS;
    let i = 0;
    await Promise.all(
      Array.from({ length: STEADY_CALLERS }, async () => {
        while (Date.now() < until) outcomes.push(await goodCall(target.goodPath, target.goodRequest(i++)));
      }),
    );
    const burst = await goodCalls(target.goodPath, BURST, (j) => target.goodRequest(j));
    const all = [...outcomes, ...burst];
    const good = all.filter((o) => target.answeredWell(o));
    const steady = summarize(outcomes.filter((o) => target.answeredWell(o)).map((o) => o.ms));
    const burstStats = summarize(burst.filter((o) => target.answeredWell(o)).map((o) => o.ms));
    return {
      socket: target.name,
      'attackers held': ATTACK.reduce((n, a) => n + a.count, 0),
      'attacker conns shed': held.reduce((n, h) => n + h.closedByServer(), 0),
      'good calls': all.length,
      'good success %': Math.round((10_000 * good.length) / all.length) / 100,
      refused: all.length - good.length,
      'steady p50 ms': steady.p50,
      'steady p99 ms': steady.p99,
      [`burst ${BURST} p99 ms`]: burstStats.p99,
    };
  } finally {
    for (const h of held) h.stop();
  }
}

export async function run(): Promise<void> {
  const rows: BenchRow[] = [];
  const tmp = tempDir('soak');
  const stops: (() => Promise<void>)[] = [];
  try {
    const sub = (name: string) => {
      const d = join(tmp.path, name);
      mkdirSync(d);
      return d;
    };
    const agent = await agentSocket(sub('agent'));
    stops.push(agent.stop);
    const dom0 = await qnetd(sub('qnetd'));
    stops.push(dom0.admin.stop);
    const policy = await policyDaemon(sub('policy'));
    stops.push(policy.stop);
    const sim = await router(sub('router'));
    stops.push(sim.stop);
    for (const target of [agent, dom0.qrexec, dom0.admin, policy, sim]) rows.push(await soak(target));
  } finally {
    for (const stop of stops) await stop();
    tmp.dispose();
  }
  printTable(
    `soak: ${ATTACK.map((a) => `${a.count} ${a.kind}`).join(' + ')} attacker connections per socket (re-opened when shed), ` +
      `${STEADY_CALLERS} steady good callers for ${STEADY_MS / 1000} s, then ${BURST} at once (target: 100% good success)`,
    rows,
  );
}

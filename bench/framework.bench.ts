import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Ping } from '../services';
import { silentLogger } from '../shared/logging/logger';
import type { PolicyHook } from '../sim/qrexec/policy-hook';
import { Router } from '../sim/qrexec/router';
import { RouterTransport } from '../shared/transport/router-transport';
import { ServiceClient } from '../shared/transport/service-client';
import { startSocketProcess, tempDir } from '../test/helpers/processes';
import { printTable, summarize } from './lib/table';
import { buildAgentSnapshot } from '../vm-side/snapshot/build-agent-snapshot';

const ROOT = join(__dirname, '..');
const ECHO_HOST = join(ROOT, 'test/fixtures/echo-host-main.js');
const AGENT = join(ROOT, 'vm-side/main.js');

const allowAll: PolicyHook = { evaluate: (q) => ({ allow: true, target: q.target }) };

/** Socket form through the router: work → router → sys-net's socket service, a qnet.Ping per call. */
async function routerRoundTrip(): Promise<void> {
  const tmp = tempDir('bench-router');
  const serviceDir = join(tmp.path, 'sys-net-rpc');
  mkdirSync(serviceDir);
  const sock = join(tmp.path, 'agent.sock');
  const host = await startSocketProcess(ECHO_HOST, ['serve', '--socket', sock], sock);
  symlinkSync(sock, join(serviceDir, 'qnet.Ping'));
  const qubes = [
    { name: 'work', callerSocket: join(tmp.path, 'work.sock'), serviceDir: join(tmp.path, 'none') },
    { name: 'sys-net', callerSocket: join(tmp.path, 'sys-net.sock'), serviceDir },
  ];
  const router = new Router({ qubes, adminVm: 'dom0', callTimeoutMs: 5000 }, allowAll, silentLogger);
  await router.start();
  const client = new ServiceClient(new RouterTransport(qubes[0].callerSocket));
  try {
    for (let i = 0; i < 200; i++) await client.call(Ping, 'sys-net', {}); // warm-up
    const samples: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const t0 = process.hrtime.bigint();
      await client.call(Ping, 'sys-net', {});
      samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const seq = summarize(samples);
    const concurrency = 16;
    const total = 8000;
    let next = 0;
    const t0 = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next++ < total) await client.call(Ping, 'sys-net', {});
      }),
    );
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    printTable('framework: socket form through the router (qnet.Ping, client → router → server process)', [
      { measure: 'sequential p50 (ms)', value: seq.p50, target: '<= 2' },
      { measure: 'sequential p99 (ms)', value: seq.p99, target: '' },
      {
        measure: `throughput, ${concurrency} in flight (calls/s)`,
        value: Math.round(total / seconds),
        target: '>= 2000',
      },
    ]);
  } finally {
    await router.dispose();
    await host.stop();
    tmp.dispose();
  }
}

function medianRunMs(args: string[], env: NodeJS.ProcessEnv, runs: number): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const res = spawnSync(process.execPath, args, { input: Buffer.from([0x80]), env: { ...process.env, ...env } });
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (res.status !== 0) throw new Error(`${args.join(' ')} exited ${res.status}: ${res.stderr.toString()}`);
  }
  return summarize(samples).p50;
}

/** The executable form's whole process, from spawn to exit, beside bare node. */
function coldStart(): void {
  const tmp = tempDir('bench-cold');
  const blob = join(tmp.path, 'qnet-agent.blob');
  buildAgentSnapshot(blob);
  if (!existsSync(blob)) throw new Error('no snapshot');
  const env = { QREXEC_REMOTE_DOMAIN: 'dom0', QNET_STATE_DIR: tmp.path, QNET_RUN_DIR: tmp.path };
  const runs = 25;
  const bare = medianRunMs(['-e', '0'], {}, runs);
  const plain = medianRunMs([AGENT, 'service', 'qnet.Ping'], env, runs);
  const snap = medianRunMs(['--snapshot-blob', blob, 'service', 'qnet.Ping'], env, runs);
  printTable(`framework: executable-form cold start (median of ${runs} spawns, qnet.Ping)`, [
    { entry: 'node -e 0 (bare)', ms: bare, 'x bare': 1 },
    { entry: 'qnet-agent service (dist, unbundled)', ms: plain, 'x bare': plain / bare },
    { entry: 'qnet-agent service (V8 startup snapshot)', ms: snap, 'x bare': snap / bare, target: '<= 1.6x' },
  ]);
  tmp.dispose();
}

export async function run(): Promise<void> {
  await routerRoundTrip();
  coldStart();
}

import { join } from 'node:path';
import { silentLogger } from '../shared/logging/logger';
import { DEFAULT_QUBESD_CONFIG } from '../dom0-side/qubesd/qubesd-config';
import { QubesdInventoryBackend } from '../dom0-side/qubesd/qubesd-inventory-backend';
import { SocketQubesdClient } from '../dom0-side/qubesd/socket-qubesd-client';
import { FakeQubesd } from '../test/fixtures/fake-qubesd';
import { tempDir } from '../test/helpers/processes';
import { printTable, summarize, type BenchRow } from './lib/table';

const QUBES = 200;
const RUNS = 10;

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** A full `load()` of 200 qubes and one `apply()` against the fake qubesd over a real Unix socket. */
export async function run(): Promise<void> {
  const dir = tempDir('qubesd-bench');
  const fake = new FakeQubesd();
  const socketPath = join(dir.path, 'qubesd.sock');
  await fake.start(socketPath);
  try {
    fake.addDomain({ name: 'sys-net', qid: 2, netvm: null, providesNetwork: true, state: 'Running' }, false);
    for (let i = 0; i < QUBES - 1; i++) {
      fake.addDomain(
        { name: `q${i}`, qid: 10 + i, netvm: 'sys-net', state: 'Running', features: { a: '1', b: '2' }, tags: ['t'] },
        false,
      );
    }
    const rows: BenchRow[] = [];
    for (const concurrency of [1, 4, 16, 64]) {
      const config = { ...DEFAULT_QUBESD_CONFIG, socketPath, concurrency };
      const backend = new QubesdInventoryBackend(new SocketQubesdClient(config), config, silentLogger);
      const before = fake.calls.length;
      const loads: number[] = [];
      for (let r = 0; r < RUNS; r++) loads.push(await time(() => backend.load()));
      const applies: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        const value = String(r);
        applies.push(await time(() => backend.apply({ kind: 'set-feature', name: 'q0', feature: 'a', value })));
      }
      await backend.dispose();
      const load = summarize(loads);
      const apply = summarize(applies);
      rows.push({
        concurrency,
        'calls/load': Math.round((fake.calls.length - before - RUNS) / (2 * RUNS)),
        'load p50 ms': load.p50,
        'load p99 ms': load.p99,
        'apply p50 ms (unwatched)': apply.p50,
      });
    }
    printTable(`qubesd backend: ${QUBES} qubes on the fake qubesd, ${RUNS} runs each`, rows);
  } finally {
    await fake.stop();
    dir.dispose();
  }
}

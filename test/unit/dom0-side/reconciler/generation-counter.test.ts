import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FileGenerationCeilingStore,
  UnreadableGenerationStateError,
  GENERATION_BLOCK,
  GenerationCounter,
} from '../../../../dom0-side/reconciler/generation-counter';
import { memoryCeilingStore } from './fake-agents';

describe('dom0-side/reconciler GenerationCounter', () => {
  it('hands out increasing generations and saves a ceiling before using one', async () => {
    const store = memoryCeilingStore();
    const counter = new GenerationCounter(store);
    const a = await counter.take(3);
    const b = await counter.take(1);
    assert.deepEqual([a, b], [1, 4]);
    assert.deepEqual(store.saved, [3 + GENERATION_BLOCK]);
  });

  it('a restarted counter starts above everything the previous run could have used', async () => {
    const store = memoryCeilingStore();
    const first = new GenerationCounter(store);
    const used = (await first.take(10)) + 9;
    const second = new GenerationCounter(store);
    assert.ok((await second.take(1)) > used);
    assert.ok((await second.take(1)) > store.saved[0]);
  });

  it('raiseAbove skips past a generation an agent holds', async () => {
    const counter = new GenerationCounter(memoryCeilingStore());
    await counter.take(1);
    await counter.raiseAbove(7_000_000_000);
    assert.equal(await counter.take(1), 7_000_000_001);
  });

  it('persists the ceiling in a file and refuses a corrupt one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qnet-gen-'));
    try {
      const path = join(dir, 'generations.json');
      const store = new FileGenerationCeilingStore(path);
      assert.equal(await store.load(), 0);
      await new GenerationCounter(store).take(5);
      assert.equal(JSON.parse(readFileSync(path, 'utf8')).ceiling, 5 + GENERATION_BLOCK);
      assert.ok((await new GenerationCounter(new FileGenerationCeilingStore(path)).take(1)) > 5 + GENERATION_BLOCK);
      writeFileSync(path, '{"format":"qnet-generations","version":1,"ceiling":-1}');
      await assert.rejects(store.load(), /generation file .* is corrupt: ceiling: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a FIFO in place of the ceiling file at once instead of blocking on it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qnet-gen-'));
    try {
      const path = join(dir, 'generations.json');
      execFileSync('mkfifo', [path]);
      await assert.rejects(
        new FileGenerationCeilingStore(path).load(),
        (err: unknown) => err instanceof UnreadableGenerationStateError && /it is a FIFO/.test(err.message),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('derives a missing ceiling from the wall clock beside an inventory, and starts at 1 on a first run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qnet-gen-'));
    try {
      const path = join(dir, 'generations.json');
      const inventory = join(dir, 'inventory.json');
      const clock = { now: () => 1_800_000_000_123 };
      const warnings: string[] = [];
      const log = { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} };
      assert.equal(await new FileGenerationCeilingStore(path, [inventory], log, clock).load(), 0);
      writeFileSync(inventory, '{}');
      const store = new FileGenerationCeilingStore(path, [inventory], log, clock);
      assert.equal(await store.load(), 1_800_000_000_123);
      assert.equal(await new GenerationCounter(store).take(1), 1_800_000_000_124);
      assert.match(warnings.join('\n'), /is missing beside .*inventory\.json/);
      // Once saved, the file decides again.
      assert.ok((await new FileGenerationCeilingStore(path, [inventory], log, clock).load()) > 1_800_000_000_124);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import assert from 'node:assert/strict';
import sinon from 'sinon';
import { z } from 'zod';
import { silentLogger } from '../../../../shared/logging/logger';
import { SerialQueue } from '../../../../shared/runtime/serial-queue';
import type { DocumentApplier } from '../../../../vm-side/apply/document-applier';
import { GenerationGate } from '../../../../vm-side/apply/generation-gate';
import { memoryStore } from '../helpers/memory-store';

type Doc = { generation: number; value: string };

const applier = (apply = sinon.fake.resolves(undefined)) =>
  ({
    service: 'test.Service',
    schema: z.object({ generation: z.number(), value: z.string() }),
    describePlan: async () => [],
    apply,
  }) satisfies DocumentApplier<Doc>;

describe('GenerationGate', () => {
  it('refuses an older generation with the one it holds, applying nothing', async () => {
    const store = memoryStore({ 'test.Service': { generation: 9, document: {} } });
    const a = applier();
    const res = await new GenerationGate(store, new SerialQueue(), silentLogger).submit(a, {
      generation: 8,
      value: 'x',
    });
    assert.deepEqual(res, { appliedGeneration: 9 });
    sinon.assert.notCalled(a.apply);
    assert.equal(store.saved.get('test.Service')?.generation, 9);
  });

  it('applies a newer or equal generation and saves it after the kernel took it', async () => {
    const store = memoryStore({ 'test.Service': { generation: 9, document: {} } });
    const a = applier();
    const gate = new GenerationGate(store, new SerialQueue(), silentLogger);
    assert.deepEqual(await gate.submit(a, { generation: 9, value: 'same' }), { appliedGeneration: 9 });
    assert.deepEqual(await gate.submit(a, { generation: 10, value: 'new' }), { appliedGeneration: 10 });
    sinon.assert.calledTwice(a.apply);
    assert.deepEqual(store.saved.get('test.Service'), { generation: 10, document: { generation: 10, value: 'new' } });
  });

  it('saves nothing when applying fails', async () => {
    const store = memoryStore();
    const a = applier(sinon.fake.rejects(new Error('nft failed')));
    await assert.rejects(
      new GenerationGate(store, new SerialQueue(), silentLogger).submit(a, { generation: 1, value: 'x' }),
    );
    assert.equal(store.saved.size, 0);
  });

  it('runs submissions one at a time', async () => {
    const order: string[] = [];
    const slow = sinon.fake(async (d: Doc) => {
      order.push(`start ${d.value}`);
      await new Promise((r) => setTimeout(r, 5));
      order.push(`end ${d.value}`);
    });
    const gate = new GenerationGate(memoryStore(), new SerialQueue(), silentLogger);
    const a = { ...applier(), apply: slow };
    await Promise.all([gate.submit(a, { generation: 1, value: 'a' }), gate.submit(a, { generation: 2, value: 'b' })]);
    assert.deepEqual(order, ['start a', 'end a', 'start b', 'end b']);
  });
});

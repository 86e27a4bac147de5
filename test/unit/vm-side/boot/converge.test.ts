import assert from 'node:assert/strict';
import sinon from 'sinon';
import { z } from 'zod';
import { silentLogger } from '../../../../shared/logging/logger';
import { SerialQueue } from '../../../../shared/runtime/serial-queue';
import type { DocumentApplier } from '../../../../vm-side/apply/document-applier';
import { Converger } from '../../../../vm-side/boot/converge';
import { memoryStore } from '../helpers/memory-store';

const applier = (service: string, apply: sinon.SinonSpy) =>
  ({
    service,
    schema: z.strictObject({ generation: z.number() }),
    describePlan: async () => [],
    apply,
  }) as DocumentApplier;

describe('Converger', () => {
  it('re-applies every saved document in registration order and goes on past a failure', async () => {
    const calls: string[] = [];
    const a = applier(
      'a.Svc',
      sinon.fake(async () => void calls.push('a')),
    );
    const b = applier(
      'b.Svc',
      sinon.fake(async () => {
        calls.push('b');
        throw new Error('boom');
      }),
    );
    const c = applier(
      'c.Svc',
      sinon.fake(async () => void calls.push('c')),
    );
    const none = applier(
      'none.Svc',
      sinon.fake(async () => void calls.push('none')),
    );
    const store = memoryStore({
      'c.Svc': { generation: 3, document: { generation: 3 } },
      'a.Svc': { generation: 1, document: { generation: 1 } },
      'b.Svc': { generation: 2, document: { generation: 2 } },
    });
    const result = await new Converger([a, b, c, none], store, new SerialQueue(), silentLogger).converge();
    assert.deepEqual(calls, ['a', 'b', 'c']);
    assert.deepEqual(result, { applied: ['a.Svc', 'c.Svc'], failed: ['b.Svc'] });
  });

  it('does not apply a saved document its schema rejects', async () => {
    const apply = sinon.fake.resolves(undefined);
    const store = memoryStore({ 'a.Svc': { generation: 1, document: { generation: 1, extra: true } } });
    const result = await new Converger([applier('a.Svc', apply)], store, new SerialQueue(), silentLogger).converge();
    sinon.assert.notCalled(apply);
    assert.deepEqual(result.failed, ['a.Svc']);
  });
});

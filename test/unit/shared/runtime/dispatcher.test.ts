import assert from 'node:assert/strict';
import sinon from 'sinon';
import { DnsUpdate, Ping } from '../../../../services';
import { encode, unpackStrict } from '../../../../shared/codec/strict-unpackr';
import type { ServiceHandler } from '../../../../shared/contract/service-handler';
import { ApplyFailedError } from '../../../../shared/errors/qnet-error';
import { silentLogger } from '../../../../shared/logging/logger';
import { ServiceDispatcher } from '../../../../shared/runtime/dispatcher';

const ctx = { service: 'qubes.DnsUpdate', argument: '', source: 'dom0' };

function dnsHandler(handle: ServiceHandler['handle']): ServiceHandler {
  return { service: DnsUpdate, handle } as ServiceHandler;
}

describe('ServiceDispatcher', () => {
  it('decodes, calls the handler with the runtime context, and wraps the result', async () => {
    const handle = sinon.fake.resolves({ appliedGeneration: 5 });
    const d = new ServiceDispatcher([dnsHandler(handle)], silentLogger);
    const res = await d.dispatch(ctx, encode({ generation: 5, upstream: [] }));
    assert.deepEqual(unpackStrict(res.reply), { ok: true, result: { appliedGeneration: 5 } });
    assert.equal(res.exitCode, 0);
    sinon.assert.calledOnceWithExactly(handle, { generation: 5, upstream: [] }, ctx);
  });

  it('maps typed errors to their code and exit status, and hides the text of unknown ones', async () => {
    const failing = new ServiceDispatcher(
      [dnsHandler(sinon.fake.rejects(new ApplyFailedError('nft failed')))],
      silentLogger,
    );
    const res = await failing.dispatch(ctx, encode({ generation: 1, upstream: [] }));
    assert.deepEqual(res.envelope, { ok: false, error: { code: 'APPLY_FAILED', message: 'nft failed' } });
    assert.equal(res.exitCode, 70);

    const buggy = new ServiceDispatcher([dnsHandler(sinon.fake.rejects(new Error('/etc/secret')))], silentLogger);
    const res2 = await buggy.dispatch(ctx, encode({ generation: 1, upstream: [] }));
    assert.deepEqual(res2.envelope, { ok: false, error: { code: 'INTERNAL', message: 'internal error' } });
  });

  it('distinguishes bad requests (65) from handler failures (70) and unknown services (69)', async () => {
    const d = new ServiceDispatcher([dnsHandler(sinon.fake.resolves({ appliedGeneration: 1 }))], silentLogger);
    assert.equal((await d.dispatch(ctx, Buffer.from([0xc1]))).exitCode, 65);
    const unknown = await d.dispatch({ ...ctx, service: 'qubes.Nope' }, Buffer.alloc(0));
    assert.equal(unknown.exitCode, 69);
    assert.equal(unknown.envelope.ok, false);
  });

  it('refuses an argument the definition does not allow', async () => {
    const handle = sinon.fake.resolves({ appliedGeneration: 1 });
    const d = new ServiceDispatcher([dnsHandler(handle)], silentLogger);
    const res = await d.dispatch({ ...ctx, argument: 'x' }, encode({ generation: 1, upstream: [] }));
    assert.deepEqual(res.envelope, {
      ok: false,
      error: { code: 'BAD_REQUEST', message: 'qubes.DnsUpdate takes no argument' },
    });
    sinon.assert.notCalled(handle);
  });

  it('never sends a response its own schema rejects', async () => {
    const d = new ServiceDispatcher([dnsHandler(sinon.fake.resolves({ appliedGeneration: -3 }))], silentLogger);
    const res = await d.dispatch(ctx, encode({ generation: 1, upstream: [] }));
    assert.equal(res.envelope.ok, false);
    assert.equal(!res.envelope.ok && res.envelope.error.code, 'INTERNAL');
  });

  it('refuses two handlers for one service', () => {
    const h = { service: Ping, handle: sinon.fake() } as unknown as ServiceHandler;
    assert.throws(() => new ServiceDispatcher([h, h], silentLogger), /two handlers/);
  });
});

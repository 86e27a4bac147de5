import assert from 'node:assert/strict';
import sinon from 'sinon';
import { DnsUpdate, Ping } from '../../../../services';
import { encode } from '../../../../shared/codec/strict-unpackr';
import { BadReplyError, PolicyDeniedError, RemoteServiceError } from '../../../../shared/errors/client-errors';
import { BadRequestError } from '../../../../shared/errors/qnet-error';
import { ServiceClient } from '../../../../shared/transport/service-client';
import type { Transport } from '../../../../shared/transport/transport';

const fakeTransport = (reply: Buffer | Error): Transport & { invoke: sinon.SinonSpy } => ({
  invoke: reply instanceof Error ? sinon.fake.rejects(reply) : sinon.fake.resolves(reply),
});

describe('ServiceClient', () => {
  it('encodes the validated request and returns the typed result', async () => {
    const t = fakeTransport(encode({ ok: true, result: { appliedGeneration: 4 } }));
    const res = await new ServiceClient(t).call(DnsUpdate, 'sys-net', { generation: 4, upstream: ['192.0.2.53'] });
    assert.deepEqual(res, { appliedGeneration: 4 });
    const [target, service, payload] = t.invoke.firstCall.args as [string, string, Buffer];
    assert.equal(target, 'sys-net');
    assert.equal(service, 'qubes.DnsUpdate');
    assert.deepEqual(payload, encode({ generation: 4, upstream: ['192.0.2.53'] }));
  });

  it('appends the argument to the service name', async () => {
    const t = fakeTransport(encode({ ok: true, result: { caller: 'dom0', services: [], version: '1' } }));
    await new ServiceClient(t).call({ ...Ping, argument: 'optional' }, 'work', {}, { argument: 'x' });
    assert.equal(t.invoke.firstCall.args[1], 'qnet.Ping+x');
  });

  it('does not send an invalid request', async () => {
    const t = fakeTransport(Buffer.alloc(0));
    await assert.rejects(
      new ServiceClient(t).call(DnsUpdate, 'x', { generation: 1, upstream: ['nope'] } as never),
      BadRequestError,
    );
    sinon.assert.notCalled(t.invoke);
  });

  it('turns an error envelope into RemoteServiceError with the remote code', async () => {
    const t = fakeTransport(encode({ ok: false, error: { code: 'APPLY_FAILED', message: 'nft\x1b[31m failed' } }));
    await assert.rejects(
      new ServiceClient(t).call(DnsUpdate, 'sys-net', { generation: 1, upstream: [] }),
      (err: unknown) => {
        assert.ok(err instanceof RemoteServiceError);
        assert.equal(err.remoteCode, 'APPLY_FAILED');
        assert.equal(err.message, 'sys-net: APPLY_FAILED: nft?[31m failed');
        return true;
      },
    );
  });

  it('rejects malformed replies', async () => {
    for (const reply of [
      Buffer.from([0xc1]),
      encode({ ok: true }),
      encode({ ok: true, result: { appliedGeneration: 'x' } }),
      encode({ ok: true, result: { appliedGeneration: 1 }, extra: 1 }),
    ]) {
      await assert.rejects(
        new ServiceClient(fakeTransport(reply)).call(DnsUpdate, 'q', { generation: 1, upstream: [] }),
        BadReplyError,
      );
    }
  });

  it('passes transport errors through unchanged', async () => {
    const denied = new PolicyDeniedError('q', 'qubes.DnsUpdate');
    await assert.rejects(
      new ServiceClient(fakeTransport(denied)).call(DnsUpdate, 'q', { generation: 1, upstream: [] }),
      denied,
    );
  });
});

import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { z } from 'zod';
import type { CallContext } from '../../../../shared/contract/call-context';
import { defineService } from '../../../../shared/contract/define-service';
import type { ServiceHandler } from '../../../../shared/contract/service-handler';
import { unpackStrict, encode } from '../../../../shared/codec/strict-unpackr';
import { silentLogger } from '../../../../shared/logging/logger';
import { ServiceDispatcher } from '../../../../shared/runtime/dispatcher';
import { serveExecutable } from '../../../../shared/runtime/executable-server';

const Arg = defineService({
  name: 'test.Arg',
  summary: 'echoes the argument it was called with',
  request: z.strictObject({}),
  response: z.strictObject({ argument: z.string() }),
  argument: 'optional',
});
const handler: ServiceHandler<typeof Arg> = {
  service: Arg,
  handle: (_req: unknown, ctx: CallContext) => Promise.resolve({ argument: ctx.argument }),
};

async function call(env: NodeJS.ProcessEnv, argvArgument?: string) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(c));
  stdin.end(encode({}));
  const code = await serveExecutable(new ServiceDispatcher([handler as ServiceHandler], silentLogger), {
    serviceName: 'test.Arg',
    argvArgument,
    env: { QREXEC_REMOTE_DOMAIN: 'dom0', ...env },
    stdin,
    stdout,
    readTimeoutMs: 1000,
  });
  return { code, envelope: unpackStrict(Buffer.concat(chunks)) };
}

describe('serveExecutable: the argument qrexec passes as argv[1]', () => {
  it('takes it together with the environment qrexec sets', async () => {
    const res = await call({ QREXEC_SERVICE_FULL_NAME: 'test.Arg+x', QREXEC_SERVICE_ARGUMENT: 'x' }, 'x');
    assert.deepEqual(res, { code: 0, envelope: { ok: true, result: { argument: 'x' } } });
  });

  it('takes it alone when run by hand (no QREXEC_SERVICE_FULL_NAME)', async () => {
    assert.deepEqual((await call({}, 'y')).envelope, { ok: true, result: { argument: 'y' } });
    assert.deepEqual((await call({})).envelope, { ok: true, result: { argument: '' } });
  });

  it('refuses an argv that disagrees with qrexec’s environment, or breaks the charset', async () => {
    const mismatch = await call({ QREXEC_SERVICE_FULL_NAME: 'test.Arg+x', QREXEC_SERVICE_ARGUMENT: 'x' }, 'z');
    assert.equal(mismatch.code, 65);
    assert.deepEqual(mismatch.envelope, {
      ok: false,
      error: { code: 'BAD_REQUEST', message: 'argument "z" does not match qrexec\'s "x"' },
    });
    const bad = await call({}, 'a/b');
    assert.equal(bad.code, 65);
  });
});

import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { AGENT_SERVICES, DOM0_SERVICES } from '../../services';
import { decodeRequest } from '../../shared/codec/decode-request';
import { encode, unpackStrict } from '../../shared/codec/strict-unpackr';
import { BadRequestError, PayloadTooLargeError } from '../../shared/errors/qnet-error';
import { parseDescriptor } from '../../shared/runtime/descriptor';
import { rawSocketCall, startSocketProcess, tempDir } from '../helpers/processes';

const SERVICES = [...AGENT_SERVICES.values(), ...DOM0_SERVICES.values()];
const refusedCleanly = (err: unknown) =>
  (err instanceof BadRequestError || err instanceof PayloadTooLargeError) && !err.message.includes('\n');

/** Arbitrary msgpack-able values shaped a little like our documents, so schemas get past the first key. */
const documentish = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ maxLength: 40 }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom('10.137.0.5', 'fd09:24ef:4179::a89:5', 'example.org', 'vif5.0', '00:16:3e:5e:6c:00', 'dom0'),
    fc.array(tie('value'), { maxLength: 4 }),
    tie('object'),
  ),
  object: fc.dictionary(
    fc.constantFrom(
      'generation',
      'qube',
      'uplink',
      'provider',
      'clients',
      'upstream',
      'rules',
      'ip',
      'name',
      'x',
      '__proto__',
    ),
    tie('value'),
    { maxKeys: 5 },
  ),
}));

describe('fuzz: untrusted input', () => {
  it('decodeRequest returns a schema-valid request or refuses with a one-line typed error, for random bytes', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SERVICES), fc.uint8Array({ maxLength: 300 }), (svc, bytes) => {
        try {
          const req = decodeRequest(svc, bytes);
          assert.ok(svc.request.safeParse(req).success);
        } catch (err) {
          assert.ok(refusedCleanly(err), String(err));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('does the same for well-formed msgpack of random document-like values', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SERVICES), documentish.object, (svc, value) => {
        try {
          decodeRequest(svc, encode(value));
        } catch (err) {
          assert.ok(refusedCleanly(err), String(err));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('parses a descriptor or refuses it with BadRequestError, never anything else', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        try {
          const ctx = parseDescriptor(text);
          assert.ok(ctx.source.length > 0 && ctx.service.length > 0);
        } catch (err) {
          assert.ok(err instanceof BadRequestError, String(err));
        }
      }),
      { numRuns: 3000 },
    );
  });

  describe('a socket-form server under random callers', () => {
    const tmp = tempDir('fuzz-sock');
    const socket = join(tmp.path, 'agent.sock');
    let host: Awaited<ReturnType<typeof startSocketProcess>>;
    before(async () => {
      host = await startSocketProcess(
        join(__dirname, '../fixtures/echo-host-main.js'),
        ['serve', '--socket', socket],
        socket,
        {
          QNET_TEST_CALL_TIMEOUT_MS: '300',
        },
      );
    });
    after(async () => {
      await host.stop();
      tmp.dispose();
    });

    it('answers every random stream with an error envelope or closes it, and keeps serving', async () => {
      const streams = fc.sample(
        fc.oneof(
          fc.uint8Array({ maxLength: 2048 }).map((b) => [Buffer.from(b)]),
          fc
            .tuple(fc.constantFrom(...SERVICES.map((s) => s.name)), fc.uint8Array({ maxLength: 512 }))
            .map(([name, b]) => [Buffer.from(`${name} dom0\0`), Buffer.from(b)]),
        ),
        { numRuns: 150, seed: 42 },
      );
      for (const chunks of streams) {
        const res = await rawSocketCall(socket, chunks, { timeoutMs: 3000 });
        assert.ok(res.closedByPeer, 'the server ends every call');
        if (res.data.length > 0) {
          const env = unpackStrict(res.data) as { ok: boolean };
          assert.equal(typeof env.ok, 'boolean');
        }
      }
      const ping = await rawSocketCall(socket, [Buffer.from('qnet.Ping dom0\0'), encode({ nonce: 'alive' })]);
      assert.equal((unpackStrict(ping.data) as { result: { nonce: string } }).result.nonce, 'alive');
    });
  });
});

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DnsUpdate } from '../../../services';
import { encode, unpackStrict } from '../../../shared/codec/strict-unpackr';
import { SAMPLE_REQUESTS } from '../../fixtures/sample-requests';
import { rawSocketCall, runProcess, startSocketProcess, tempDir } from '../../helpers/processes';

const ECHO_HOST = join(__dirname, '../../fixtures/echo-host-main.js');

const envelopeOf = (bytes: Buffer) =>
  unpackStrict(bytes) as { ok: boolean; result?: unknown; error?: { code: string; message: string } };
const descriptor = (text: string) => Buffer.from(`${text}\0`, 'latin1');

describe('service runtime: executable form (a real spawned process)', () => {
  const tmp = tempDir('exec');
  const callLog = join(tmp.path, 'calls.jsonl');
  after(() => tmp.dispose());

  const call = (service: string, input: Buffer, env: NodeJS.ProcessEnv = {}, endStdin = true) =>
    runProcess(
      process.execPath,
      [ECHO_HOST, 'service', service],
      input,
      {
        QREXEC_REMOTE_DOMAIN: 'dom0',
        QREXEC_SERVICE_FULL_NAME: service,
        QNET_TEST_CALL_LOG: callLog,
        ...env,
      },
      endStdin,
    );

  for (const [svc, request] of SAMPLE_REQUESTS) {
    it(`round-trips ${svc.name}`, async () => {
      writeFileSync(callLog, '');
      const res = await call(svc.name, encode(request));
      assert.equal(res.status, 0, res.stderr);
      const env = envelopeOf(res.stdout);
      assert.equal(env.ok, true);
      assert.deepEqual(env.result, svc.response.parse(env.result));
      const [logged] = readFileSync(callLog, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { ctx: unknown; req: unknown });
      assert.deepEqual(logged.req, JSON.parse(JSON.stringify(svc.request.parse(request))));
      assert.deepEqual(logged.ctx, { service: svc.name, argument: '', source: 'dom0' });
    });
  }

  it('answers bad input with an envelope and exit 65, a handler failure with 70, never a stack trace', async () => {
    const garbage = await call('qubes.DnsUpdate', Buffer.from('not msgpack at all'));
    assert.equal(garbage.status, 65);
    assert.deepEqual(envelopeOf(garbage.stdout), {
      ok: false,
      error: { code: 'BAD_REQUEST', message: 'request is not valid msgpack' },
    });
    assert.doesNotMatch(garbage.stderr, /\n\s+at /);

    const unknownKey = await call('qubes.DnsUpdate', encode({ generation: 1, upstream: [], source: 'work' }));
    assert.equal(unknownKey.status, 65);
    assert.match(envelopeOf(unknownKey.stdout).error?.message ?? '', /unknown key "source"/);

    const oversize = await call('qubes.DnsUpdate', Buffer.alloc(DnsUpdate.maxRequestBytes + 1));
    assert.equal(oversize.status, 65);
    assert.equal(envelopeOf(oversize.stdout).error?.code, 'PAYLOAD_TOO_LARGE');

    const failing = await call('qubes.NetConfig', encode({ generation: 1, qube: 'fail-me' }));
    assert.equal(failing.status, 70);
    assert.deepEqual(envelopeOf(failing.stdout).error, { code: 'APPLY_FAILED', message: 'simulated apply failure' });

    const bug = await call('qubes.NetConfig', encode({ generation: 1, qube: 'crash-me' }));
    assert.equal(bug.status, 70);
    assert.deepEqual(envelopeOf(bug.stdout).error, { code: 'INTERNAL', message: 'internal error' });
    // qrexec relays stderr to the caller: the failure is logged as one line, never as a stack trace.
    assert.match(bug.stderr, /call failed: /);
    assert.doesNotMatch(bug.stderr, /^\s+at /m);

    // Even an error that escapes every handler ends as an envelope and one line, not Node's crash report.
    const escaped = await call('qubes.NetConfig', encode({ generation: 1, qube: 'escape-me' }));
    assert.equal(escaped.status, 70);
    assert.deepEqual(envelopeOf(escaped.stdout).error, { code: 'INTERNAL', message: 'internal error' });
    assert.match(escaped.stderr, /INTERNAL: Error: simulated escaped bug/);
    assert.doesNotMatch(escaped.stderr, /^\s+at /m);
  });

  it('takes the argument qrexec passes as argv[1], and answers with an envelope as the socket form does', async () => {
    const res = await runProcess(process.execPath, [ECHO_HOST, 'service', 'qnet.Ping', 'x'], encode({}), {
      QREXEC_REMOTE_DOMAIN: 'dom0',
      QREXEC_SERVICE_FULL_NAME: 'qnet.Ping+x',
      QREXEC_SERVICE_ARGUMENT: 'x',
    });
    assert.equal(res.status, 65);
    assert.deepEqual(envelopeOf(res.stdout), {
      ok: false,
      error: { code: 'BAD_REQUEST', message: 'qnet.Ping takes no argument' },
    });
  });

  it('times out a caller that never sends EOF', async () => {
    const res = await call('qubes.DnsUpdate', Buffer.from([0x82]), { QNET_READ_TIMEOUT_MS: '300' }, false);
    assert.equal(res.status, 75);
    assert.equal(envelopeOf(res.stdout).error?.code, 'TIMEOUT');
  });

  it('takes the source from QREXEC_REMOTE_DOMAIN only, and refuses to run without it', async () => {
    const res = await call('qnet.Ping', encode({}), { QREXEC_REMOTE_DOMAIN: 'work' });
    assert.equal((envelopeOf(res.stdout).result as { caller: string }).caller, 'work');
    const none = await call('qnet.Ping', encode({}), { QREXEC_REMOTE_DOMAIN: '' });
    assert.equal(none.status, 65);
  });
});

describe('service runtime: socket form', () => {
  const tmp = tempDir('sock');
  const socket = join(tmp.path, 'agent.sock');
  const callLog = join(tmp.path, 'calls.jsonl');
  let host: Awaited<ReturnType<typeof startSocketProcess>>;

  before(async () => {
    host = await startSocketProcess(ECHO_HOST, ['serve', '--socket', socket], socket, {
      QNET_TEST_CALL_LOG: callLog,
      QNET_TEST_CALL_TIMEOUT_MS: '400',
    });
  });
  after(async () => {
    await host.stop();
    tmp.dispose();
  });

  const assertStillServing = async () => {
    const res = await rawSocketCall(socket, [descriptor('qnet.Ping dom0'), encode({ nonce: 'alive' })]);
    assert.deepEqual((envelopeOf(res.data).result as { nonce: string }).nonce, 'alive');
  };

  for (const [svc, request] of SAMPLE_REQUESTS) {
    it(`round-trips ${svc.name} with the VM and the dom0 descriptor`, async () => {
      for (const desc of [`${svc.name} dom0`, `${svc.name} dom0 keyword adminvm`]) {
        writeFileSync(callLog, '');
        const res = await rawSocketCall(socket, [descriptor(desc), encode(request)]);
        assert.equal(envelopeOf(res.data).ok, true);
        const logged = JSON.parse(readFileSync(callLog, 'utf8').trim()) as { ctx: Record<string, unknown> };
        assert.equal(logged.ctx.source, 'dom0');
      }
    });
  }

  it('serves many concurrent calls', async () => {
    const calls = Array.from({ length: 200 }, (_, i) =>
      rawSocketCall(socket, [descriptor('qnet.Ping dom0'), encode({ nonce: String(i) })]),
    );
    const results = await Promise.all(calls);
    results.forEach((r, i) => assert.equal((envelopeOf(r.data).result as { nonce: string }).nonce, String(i)));
  });

  const badCallers: [string, Buffer[], { end?: boolean }, string][] = [
    ['no descriptor at all', [], {}, 'BAD_REQUEST'],
    ['bytes without a NUL', [Buffer.alloc(2000, 0x41)], {}, 'BAD_REQUEST'],
    ['a malformed descriptor', [descriptor('qubes.DnsUpdate')], {}, 'BAD_REQUEST'],
    ['garbage payload', [descriptor('qubes.DnsUpdate dom0'), Buffer.from([0xc1, 0xc1])], {}, 'BAD_REQUEST'],
    ['wrong types', [descriptor('qubes.DnsUpdate dom0'), encode({ generation: 'x', upstream: [] })], {}, 'BAD_REQUEST'],
    [
      'unknown keys',
      [descriptor('qubes.DnsUpdate dom0'), encode({ generation: 1, upstream: [], x: 1 })],
      {},
      'BAD_REQUEST',
    ],
    [
      'truncated msgpack',
      [descriptor('qubes.DnsUpdate dom0'), encode({ generation: 1, upstream: [] }).subarray(0, 5)],
      {},
      'BAD_REQUEST',
    ],
    [
      'too many bytes',
      [descriptor('qubes.DnsUpdate dom0'), Buffer.alloc(DnsUpdate.maxRequestBytes + 10)],
      {},
      'PAYLOAD_TOO_LARGE',
    ],
    ['an unknown service', [descriptor('qubes.Nope dom0'), encode({})], {}, 'UNKNOWN_SERVICE'],
    [
      'a forbidden argument',
      [descriptor('qubes.DnsUpdate+x dom0'), encode({ generation: 1, upstream: [] })],
      {},
      'BAD_REQUEST',
    ],
    ['no EOF, ever', [descriptor('qubes.DnsUpdate dom0'), Buffer.from([0x82])], { end: false }, 'TIMEOUT'],
  ];
  for (const [what, chunks, opts, code] of badCallers) {
    it(`answers ${what} with ${code} and keeps serving`, async () => {
      const res = await rawSocketCall(socket, chunks, opts);
      assert.ok(res.closedByPeer, 'the server closes the connection');
      const env = envelopeOf(res.data);
      assert.equal(env.ok, false);
      assert.equal(env.error?.code, code);
      await assertStillServing();
    });
  }

  it('takes the source from the descriptor, never from the payload', async () => {
    writeFileSync(callLog, '');
    const res = await rawSocketCall(socket, [
      descriptor('qubes.NetConfig work'),
      encode({ ...(SAMPLE_REQUESTS[0][1] as object), source: 'dom0' }),
    ]);
    assert.match(envelopeOf(res.data).error?.message ?? '', /unknown key "source"/);
    const ping = await rawSocketCall(socket, [descriptor('qnet.Ping work'), encode({})]);
    assert.equal((envelopeOf(ping.data).result as { caller: string }).caller, 'work');
  });
});

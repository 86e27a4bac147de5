import assert from 'node:assert/strict';
import { DnsUpdate } from '../../../../services';
import { z } from 'zod';
import { decodeRequest } from '../../../../shared/codec/decode-request';
import { decodeValue } from '../../../../shared/codec/decode-value';
import { encode } from '../../../../shared/codec/strict-unpackr';
import { BadRequestError, PayloadTooLargeError } from '../../../../shared/errors/qnet-error';

describe('decodeRequest', () => {
  const good = { generation: 2, upstream: ['192.0.2.53'] };

  it('decodes a valid request', () => {
    assert.deepEqual(decodeRequest(DnsUpdate, encode(good)), good);
  });

  it('refuses oversize input before decoding it', () => {
    const big = Buffer.alloc(DnsUpdate.maxRequestBytes + 1, 0xc0);
    assert.throws(() => decodeRequest(DnsUpdate, big), PayloadTooLargeError);
  });

  it('gives one-line errors for garbage, truncation, trailing bytes, wrong types and unknown keys', () => {
    const bytes = encode(good);
    const cases: [Buffer, RegExp][] = [
      [Buffer.from([0xc1]), /./],
      [Buffer.from([0xd9, 0xff, 0x41]), /not valid msgpack/],
      [bytes.subarray(0, bytes.length - 2), /not valid msgpack/],
      [Buffer.concat([bytes, Buffer.from([0x01])]), /not valid msgpack/],
      [Buffer.alloc(0), /not valid msgpack/],
      [encode({ generation: 'two', upstream: [] }), /^generation: /],
      [encode({ ...good, extra: 1 }), /unknown key "extra"/],
      [encode({ ...good, upstream: ['dns.example'] }), /^upstream\.0: /],
      [encode([1, 2, 3]), /^\(root\): /],
    ];
    for (const [input, re] of cases) {
      assert.throws(
        () => decodeRequest(DnsUpdate, input),
        (err: unknown) => err instanceof BadRequestError && re.test(err.message) && !err.message.includes('\n'),
        re.source,
      );
    }
  });

  it('does not revive msgpack extensions (timestamps, records) into objects', () => {
    const timestamp = Buffer.from([
      0x82,
      0xaa,
      ...Buffer.from('generation'),
      0xd6,
      0xff,
      0,
      0,
      0,
      1,
      0xa8,
      ...Buffer.from('upstream'),
      0x90,
    ]);
    assert.throws(() => decodeRequest(DnsUpdate, timestamp), BadRequestError);
  });

  it('survives deep nesting without crashing', () => {
    const depth = 60_000;
    const deep = Buffer.concat([Buffer.alloc(depth, 0x91), Buffer.from([0x01])]);
    assert.throws(() => decodeRequest({ ...DnsUpdate, maxRequestBytes: 1 << 20 }, deep), BadRequestError);
  });

  it('keeps a __proto__ key from touching prototypes', () => {
    const proto = Buffer.from([0x81, 0xa9, ...Buffer.from('__proto__'), 0x81, 0xa5, ...Buffer.from('admin'), 0xc3]);
    assert.throws(() => decodeRequest(DnsUpdate, proto), BadRequestError);
    assert.equal(({} as Record<string, unknown>).admin, undefined);
  });

  it('refuses a __proto__ key where a free-form map would have taken it renamed (msgpackr makes it __proto_)', () => {
    const features = z.record(z.string(), z.string());
    const key = (name: string) => [0xa0 + name.length, ...Buffer.from(name)];
    const map = (name: string) => Buffer.from([0x81, ...key(name), 0xa1, 0x31]);
    assert.deepEqual(decodeValue(features, map('ipv6'), 1024), { ok: true, value: { ipv6: '1' } });
    for (const name of ['__proto__', '__proto_']) {
      const result = decodeValue(features, map(name), 1024);
      assert.equal(result.ok, false, name);
    }
    const nested = Buffer.from([0x92, 0x01, ...map('__proto__')]);
    assert.equal(decodeValue(z.tuple([z.number(), features]), nested, 1024).ok, false);
  });
});

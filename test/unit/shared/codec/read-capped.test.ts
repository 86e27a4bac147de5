import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { readCapped } from '../../../../shared/codec/read-capped';

describe('readCapped', () => {
  it('resolves with what was read before when the stream already ended while paused (a socket that waited its turn)', async () => {
    const stream = new PassThrough();
    stream.end(Buffer.from('header\0body'));
    // An earlier reader (the descriptor's) takes everything; the EOF comes before the next reader listens,
    // as a socket's EOF does while it waits for a slot.
    const ended = new Promise<void>((resolve) => stream.once('end', resolve));
    const first = await new Promise<Buffer>((resolve) => stream.once('data', resolve));
    await ended;
    assert.equal(stream.readableEnded, true);
    const rest = first.subarray(first.indexOf(0) + 1);
    const bytes = await readCapped(stream, { limit: 64, initial: rest, timeoutMs: 1000 });
    assert.equal(bytes.toString(), 'body');
  });

  it('still fails a stream that exceeds its cap', async () => {
    const stream = new PassThrough();
    stream.end(Buffer.alloc(100));
    await assert.rejects(readCapped(stream, { limit: 64 }), { code: 'PAYLOAD_TOO_LARGE' });
  });
});

import type { Readable } from 'node:stream';
import { PayloadTooLargeError, TimeoutError } from '../errors/qnet-error';

export interface ReadCappedOptions {
  /** Bytes beyond this fail the read at once, before anything is decoded. */
  limit: number;
  timeoutMs?: number;
  what?: string;
  /** Bytes already read from the stream (e.g. what followed a header). */
  initial?: Buffer;
}

/** Reads a stream to EOF, failing as soon as it exceeds `limit` or takes longer than `timeoutMs`. */
export function readCapped(stream: Readable, opts: ReadCappedOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    if (opts.initial && opts.initial.length > 0) {
      if (opts.initial.length > opts.limit) {
        reject(new PayloadTooLargeError(opts.limit));
        return;
      }
      chunks.push(opts.initial);
      size = opts.initial.length;
    }
    let timer: NodeJS.Timeout | undefined;
    const finish = (err: Error | undefined, value?: Buffer) => {
      if (timer) clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      if (err) {
        // Stop reading what we will never use; a flowing stream would also keep the process alive.
        stream.pause();
        reject(err);
      } else resolve(value as Buffer);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > opts.limit) {
        stream.pause();
        finish(new PayloadTooLargeError(opts.limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish(undefined, Buffer.concat(chunks, size));
    const onError = (err: Error) => finish(err);
    // EOF that came while the stream sat paused after an earlier reader (a socket waiting for its turn) has
    // already emitted 'end' and will not again: the request is what was read so far.
    if (stream.readableEnded) {
      onEnd();
      return;
    }
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
    // A stream paused by an earlier reader (the descriptor) does not resume by itself.
    stream.resume();
    if (opts.timeoutMs !== undefined) {
      timer = setTimeout(() => finish(new TimeoutError(opts.what ?? 'read', opts.timeoutMs as number)), opts.timeoutMs);
      timer.unref();
    }
  });
}

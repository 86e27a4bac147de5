import { connect } from 'node:net';
import { BadReplyError } from '../errors/client-errors';
import { TimeoutError } from '../errors/qnet-error';

export interface UnixCallOptions {
  timeoutMs: number;
  /** The reply (everything until the peer closes) is refused past this many bytes. */
  maxReplyBytes: number;
  /** For timeout messages: `SERVICE on TARGET`. */
  what: string;
  /** Calls that must not keep the process alive (a background event poll). */
  unref?: boolean;
  /**
   * Maps a socket error to the call's error. `received` is how many reply
   * bytes had arrived: return undefined to let the close decide (e.g. a status
   * byte already came in and the error is only our late write).
   */
  onError(err: NodeJS.ErrnoException, received: number): Error | undefined;
}

/**
 * One request over a Unix stream socket, the way qrexec's peers talk: a
 * NUL-terminated header, the payload, EOF; then everything the peer sends
 * until it closes, capped and under a deadline.
 */
export function callUnixSocket(
  path: string,
  header: Buffer,
  payload: Uint8Array,
  opts: UnixCallOptions,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = connect(path);
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (err: Error | undefined, value?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(value as Buffer);
    };
    const timer = setTimeout(() => settle(new TimeoutError(opts.what, opts.timeoutMs)), opts.timeoutMs);
    if (opts.unref) {
      sock.unref();
      timer.unref();
    }
    sock.once('connect', () => {
      sock.write(header);
      sock.end(payload);
    });
    sock.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > opts.maxReplyBytes) settle(new BadReplyError(`reply exceeds ${opts.maxReplyBytes} bytes`));
      else chunks.push(chunk);
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      const mapped = opts.onError(err, size);
      if (mapped) settle(mapped);
    });
    sock.once('close', () => settle(undefined, Buffer.concat(chunks, size)));
  });
}

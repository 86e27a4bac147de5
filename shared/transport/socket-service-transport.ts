import { connect } from 'node:net';
import { inject, injectable } from 'tsyringe';
import { token } from '../di/token';
import { BadReplyError, QrexecFailedError } from '../errors/client-errors';
import { TimeoutError, UnavailableError } from '../errors/qnet-error';
import type { InvokeOptions, Transport } from './transport';

export interface SocketServiceEndpoint {
  /** A socket-form service (SocketServer), e.g. qnetd's admin socket. */
  readonly path: string;
  /** The source the descriptor names; the server trusts it, so only root-owned sockets take this route. */
  readonly source: string;
  /** Calls that must not keep the process alive (a background event poll). */
  readonly unref?: boolean;
}
export const SocketServiceEndpoint = token<SocketServiceEndpoint>('SocketServiceEndpoint');

const UNREACHABLE = new Set(['ENOENT', 'ECONNREFUSED', 'ENOTSOCK']);

/**
 * Calls a socket-form service directly, doing qrexec-daemon's part itself:
 * the descriptor `SERVICE+ARG SOURCE\0`, the payload, EOF; the reply is
 * everything until the server closes. `target` is not used (the socket is
 * the target); the same path serves every call.
 */
@injectable()
export class SocketServiceTransport implements Transport {
  constructor(@inject(SocketServiceEndpoint) private readonly endpoint: SocketServiceEndpoint) {}

  invoke(target: string, serviceAndArg: string, payload: Uint8Array, opts: InvokeOptions): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const sock = connect(this.endpoint.path);
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
      const timer = setTimeout(
        () => settle(new TimeoutError(`${serviceAndArg} on ${target}`, opts.timeoutMs)),
        opts.timeoutMs,
      );
      if (this.endpoint.unref) {
        sock.unref();
        timer.unref();
      }
      sock.once('connect', () => {
        sock.write(Buffer.from(`${serviceAndArg} ${this.endpoint.source}\0`, 'latin1'));
        sock.end(payload);
      });
      sock.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > opts.maxReplyBytes) settle(new BadReplyError(`reply exceeds ${opts.maxReplyBytes} bytes`));
        else chunks.push(chunk);
      });
      sock.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code && UNREACHABLE.has(err.code)) {
          settle(new UnavailableError(`nothing serves ${JSON.stringify(this.endpoint.path)} (${err.code})`));
        } else settle(new QrexecFailedError(target, serviceAndArg, `${this.endpoint.path}: ${err.message}`));
      });
      sock.once('close', () => settle(undefined, Buffer.concat(chunks, size)));
    });
  }
}

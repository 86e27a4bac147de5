import { inject, injectable } from 'tsyringe';
import { token } from '../di/token';
import { QrexecFailedError } from '../errors/client-errors';
import { UnavailableError } from '../errors/qnet-error';
import { callUnixSocket } from './call-unix-socket';
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
    const { path, source, unref } = this.endpoint;
    return callUnixSocket(path, Buffer.from(`${serviceAndArg} ${source}\0`, 'latin1'), payload, {
      ...opts,
      what: `${serviceAndArg} on ${target}`,
      unref,
      onError: (err) =>
        err.code && UNREACHABLE.has(err.code)
          ? new UnavailableError(`nothing serves ${JSON.stringify(path)} (${err.code})`)
          : new QrexecFailedError(target, serviceAndArg, `${path}: ${err.message}`),
    });
  }
}

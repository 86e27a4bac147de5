import { inject, injectable } from 'tsyringe';
import { token } from '../di/token';
import { QrexecFailedError } from '../errors/client-errors';
import { formatRouterHeader } from './router-protocol';
import { callUnixSocket } from './call-unix-socket';
import { qrexecStatusError } from './qrexec-outcome';
import type { InvokeOptions, Transport } from './transport';

/** This qube's socket on the simulation router; the router knows us by which socket we use. */
export const RouterSocketPath = token<string>('RouterSocketPath');

@injectable()
export class RouterTransport implements Transport {
  constructor(@inject(RouterSocketPath) private readonly socketPath: string) {}

  async invoke(target: string, serviceAndArg: string, payload: Uint8Array, opts: InvokeOptions): Promise<Buffer> {
    const all = await callUnixSocket(this.socketPath, formatRouterHeader(target, serviceAndArg), payload, {
      timeoutMs: opts.timeoutMs,
      // +1: the status byte is not part of the reply.
      maxReplyBytes: opts.maxReplyBytes + 1,
      what: `${serviceAndArg} on ${target}`,
      // A refusal arrives before the router reads our payload, so writing it may fail (EPIPE) after the
      // status byte came in: then the status is the answer, not the write error.
      onError: (err, received) =>
        received === 0 ? new QrexecFailedError(target, serviceAndArg, `router: ${err.message}`) : undefined,
    });
    if (all.length === 0) throw new QrexecFailedError(target, serviceAndArg, 'router closed without a status');
    const status = all[0];
    if (status !== 0) {
      throw (
        qrexecStatusError(status, target, serviceAndArg) ??
        new QrexecFailedError(target, serviceAndArg, `router status ${status}`)
      );
    }
    return all.subarray(1);
  }
}

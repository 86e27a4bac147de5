import { connect } from 'node:net';
import { inject, injectable } from 'tsyringe';
import { token } from '../di/token';
import { BadReplyError, QrexecFailedError } from '../errors/client-errors';
import { TimeoutError } from '../errors/qnet-error';
import { formatRouterHeader } from '../sim/router-protocol';
import { qrexecStatusError } from './qrexec-outcome';
import type { InvokeOptions, Transport } from './transport';

/** This qube's socket on the simulation router; the router knows us by which socket we use. */
export const RouterSocketPath = token<string>('RouterSocketPath');

@injectable()
export class RouterTransport implements Transport {
  constructor(@inject(RouterSocketPath) private readonly socketPath: string) {}

  invoke(target: string, serviceAndArg: string, payload: Uint8Array, opts: InvokeOptions): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const sock = connect(this.socketPath);
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
      sock.once('connect', () => {
        sock.write(formatRouterHeader(target, serviceAndArg));
        sock.end(payload);
      });
      sock.on('data', (chunk: Buffer) => {
        size += chunk.length;
        // +1: the status byte is not part of the reply.
        if (size > opts.maxReplyBytes + 1) settle(new BadReplyError(`reply exceeds ${opts.maxReplyBytes} bytes`));
        else chunks.push(chunk);
      });
      sock.once('error', (err) => {
        // A refusal arrives before the router reads our payload, so writing it may fail (EPIPE) after the
        // status byte came in: then the status, judged on close, is the answer, not the write error.
        if (size === 0) settle(new QrexecFailedError(target, serviceAndArg, `router: ${err.message}`));
      });
      sock.once('close', () => {
        const all = Buffer.concat(chunks, size);
        if (all.length === 0)
          return settle(new QrexecFailedError(target, serviceAndArg, 'router closed without a status'));
        const status = all[0];
        const err =
          status === 0
            ? undefined
            : (qrexecStatusError(status, target, serviceAndArg) ??
              new QrexecFailedError(target, serviceAndArg, `router status ${status}`));
        settle(err, all.subarray(1));
      });
    });
  }
}

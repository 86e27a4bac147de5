import { spawn } from 'node:child_process';
import { BadReplyError, QrexecFailedError } from '../errors/client-errors';
import { TimeoutError } from '../errors/qnet-error';
import { qrexecStatusError } from './qrexec-outcome';
import type { InvokeOptions, Transport } from './transport';

/**
 * The shared mechanics of calling through a qrexec client binary: request on
 * stdin, reply on stdout (capped), exit status mapped to typed errors.
 */
export abstract class ProcessTransport implements Transport {
  protected abstract command(
    target: string,
    serviceAndArg: string,
    opts: InvokeOptions,
  ): { file: string; args: string[] };

  invoke(target: string, serviceAndArg: string, payload: Uint8Array, opts: InvokeOptions): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const { file, args } = this.command(target, serviceAndArg, opts);
      const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      const chunks: Buffer[] = [];
      let size = 0;
      let stderr = '';
      let failure: Error | undefined;
      const fail = (err: Error) => {
        failure ??= err;
        child.kill('SIGKILL');
      };
      const timer = setTimeout(
        () => fail(new TimeoutError(`${serviceAndArg} on ${target}`, opts.timeoutMs)),
        opts.timeoutMs,
      );
      child.stdout.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > opts.maxReplyBytes) fail(new BadReplyError(`reply exceeds ${opts.maxReplyBytes} bytes`));
        else chunks.push(chunk);
      });
      child.stderr.on('data', (chunk: Buffer) => {
        if (stderr.length < 2048) stderr += chunk.toString('utf8');
      });
      child.once('error', (err) =>
        fail(new QrexecFailedError(target, serviceAndArg, `cannot run ${file}: ${err.message}`)),
      );
      // The callee may close its stdin early (e.g. a refused call); that is not our error.
      child.stdin.on('error', () => {});
      child.stdin.end(payload);
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        if (failure) return reject(failure);
        const status = code ?? 128;
        const qrexecError = qrexecStatusError(status, target, serviceAndArg);
        if (qrexecError) return reject(qrexecError);
        if (signal) return reject(new QrexecFailedError(target, serviceAndArg, `client killed by ${signal}`));
        const reply = Buffer.concat(chunks, size);
        if (status !== 0 && reply.length === 0) {
          const detail = stderr.trim().split('\n')[0]?.slice(0, 200) || `exit status ${status}`;
          return reject(new QrexecFailedError(target, serviceAndArg, detail));
        }
        resolve(reply);
      });
    });
  }
}

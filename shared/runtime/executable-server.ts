import type { Readable, Writable } from 'node:stream';
import { readCapped } from '../codec/read-capped';
import { contextFromEnv } from './descriptor';
import type { ServiceDispatcher } from './dispatcher';

export interface ExecutableCall {
  /** `qnet-agent service NAME`: the name qrexec started us for. */
  serviceName: string;
  env: NodeJS.ProcessEnv;
  stdin: Readable;
  stdout: Writable;
  readTimeoutMs: number;
}

/**
 * The executable form: payload on stdin, envelope on stdout, logs on stderr,
 * and an exit code that says what went wrong (0 on success).
 */
export async function serveExecutable(dispatcher: ServiceDispatcher, call: ExecutableCall): Promise<number> {
  let result;
  try {
    const ctx = contextFromEnv(call.env, call.serviceName);
    const svc = dispatcher.serviceFor(ctx.service);
    // An unknown service is refused before a byte of its payload is read.
    const bytes = svc
      ? await readCapped(call.stdin, { limit: svc.maxRequestBytes, timeoutMs: call.readTimeoutMs, what: 'request' })
      : Buffer.alloc(0);
    result = await dispatcher.dispatch(ctx, bytes);
  } catch (err) {
    result = dispatcher.failure(err);
  }
  await new Promise<void>((resolve) => call.stdout.write(result.reply, () => resolve()));
  return result.exitCode;
}

import type { Readable, Writable } from 'node:stream';
import { readCapped } from '../codec/read-capped';
import type { CallContext } from '../contract/call-context';
import { BadRequestError, quote } from '../errors/qnet-error';
import { contextFromEnv } from './descriptor';
import type { ServiceDispatcher } from './dispatcher';

export interface ExecutableCall {
  /** `qnet-agent service NAME`: the name qrexec started us for. */
  serviceName: string;
  /**
   * `qnet-agent service NAME ARG`: qrexec passes a non-empty argument as argv[1] (as well as in
   * `QREXEC_SERVICE_ARGUMENT`); absent or empty when there is none.
   */
  argvArgument?: string;
  env: NodeJS.ProcessEnv;
  stdin: Readable;
  stdout: Writable;
  readTimeoutMs: number;
}

/**
 * The call's context from qrexec's environment. Without `QREXEC_SERVICE_FULL_NAME` (a manual run), argv's
 * argument completes the name; with it, argv must agree with what qrexec set, since both come from qrexec
 * and a disagreement means something in between rewrote one of them.
 */
function executableContext(call: ExecutableCall): CallContext {
  const argv = call.argvArgument ?? '';
  const ctx = contextFromEnv(call.env, argv ? `${call.serviceName}+${argv}` : call.serviceName);
  if (argv && ctx.argument !== argv) {
    throw new BadRequestError(`argument ${quote(argv)} does not match qrexec's ${quote(ctx.argument)}`);
  }
  return ctx;
}

/**
 * The executable form: payload on stdin, envelope on stdout, logs on stderr,
 * and an exit code that says what went wrong (0 on success).
 */
export async function serveExecutable(dispatcher: ServiceDispatcher, call: ExecutableCall): Promise<number> {
  let result;
  try {
    const ctx = executableContext(call);
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

import { QnetError } from '../shared/errors/qnet-error';

/**
 * Upstream's `AccessDenied`: every refusal, with the message qrexec logs. The
 * message text follows upstream's, because conformance compares it.
 */
export class AccessDeniedError extends QnetError {
  readonly code = 'FORBIDDEN';
  constructor(
    message: string,
    readonly notify = true,
  ) {
    super(message);
  }
}

/** Upstream's `PolicySyntaxError`: `FILE:LINE: message`, with `<unknown>` and `None` as Python prints them. */
export class PolicySyntaxError extends AccessDeniedError {
  constructor(
    readonly file: string | null,
    readonly line: number | null,
    readonly detail: string,
  ) {
    super(`${file ?? '<unknown>'}:${line === null ? 'None' : line}: ${detail}`);
  }
}

/**
 * Where upstream raises something other than AccessDenied (a KeyError on
 * system info, a failed assertion, a recursion overflow), the daemon drops
 * the connection without an answer and qrexec refuses the call. We deny too,
 * and say why.
 */
export class UpstreamCrashError extends QnetError {
  readonly code = 'INTERNAL';
}

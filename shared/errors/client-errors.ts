import { QnetError } from './qnet-error';
import type { ErrorCode } from './codes';

/**
 * Errors a caller sees. qrexec's exit codes (126 refused, 127 no service,
 * 125 failure) become distinct classes, so a script can tell a policy refusal
 * from a broken service without parsing text.
 */
export abstract class CallError extends QnetError {}

export class PolicyDeniedError extends CallError {
  readonly code = 'FORBIDDEN';
  constructor(
    readonly target: string,
    readonly service: string,
  ) {
    super(`call to ${service} on ${target} refused by policy`);
  }
}

export class NoSuchServiceError extends CallError {
  readonly code = 'UNAVAILABLE';
  constructor(
    readonly target: string,
    readonly service: string,
  ) {
    super(`${target} has no service ${service}`);
  }
}

export class QrexecFailedError extends CallError {
  readonly code = 'UNAVAILABLE';
  constructor(
    readonly target: string,
    readonly service: string,
    detail: string,
  ) {
    super(`qrexec call to ${service} on ${target} failed: ${detail}`);
  }
}

/** The reply crossed a boundary and did not parse: not msgpack, not an envelope, or too large. */
export class BadReplyError extends CallError {
  readonly code = 'BAD_REQUEST';
}

/** The remote service answered with an error envelope; `remoteCode` is its code, verbatim. */
export class RemoteServiceError extends CallError {
  readonly code = 'APPLY_FAILED';
  constructor(
    readonly remoteCode: string,
    message: string,
  ) {
    super(message);
  }
}

export type { ErrorCode };

import type { ErrorCode } from './codes';

/** Every error qnet raises on purpose: a stable `code` for code, a one-line message for people. */
export abstract class QnetError extends Error {
  abstract readonly code: ErrorCode;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class BadRequestError extends QnetError {
  readonly code = 'BAD_REQUEST';
}

export class PayloadTooLargeError extends QnetError {
  readonly code = 'PAYLOAD_TOO_LARGE';
  constructor(readonly limit: number) {
    super(`request exceeds ${limit} bytes`);
  }
}

export class UnknownServiceError extends QnetError {
  readonly code = 'UNKNOWN_SERVICE';
  constructor(readonly service: string) {
    super(`no handler for service ${quote(service)}`);
  }
}

export class ForbiddenError extends QnetError {
  readonly code = 'FORBIDDEN';
}

export class NotFoundError extends QnetError {
  readonly code = 'NOT_FOUND';
}

export class ConflictError extends QnetError {
  readonly code = 'CONFLICT';
}

export class ApplyFailedError extends QnetError {
  readonly code = 'APPLY_FAILED';
}

export class InternalError extends QnetError {
  readonly code = 'INTERNAL';
}

export class TimeoutError extends QnetError {
  readonly code = 'TIMEOUT';
  constructor(
    readonly what: string,
    readonly ms: number,
  ) {
    super(`${what} timed out after ${ms} ms`);
  }
}

/**
 * The socket form's deadline would pass before the change is in place: the
 * change goes on and lands later (or fails, which is logged and answered to
 * the next push). Not a plain TIMEOUT, which would say nothing happened.
 * dom0 pushes the same generation again to learn the outcome: it is queued
 * behind the running apply and answered once that finished.
 */
export class AppliedLaterError extends QnetError {
  readonly code = 'TIMEOUT_APPLIED_LATER';
  constructor(
    readonly service: string,
    readonly generation: number,
    readonly ms: number,
  ) {
    super(
      `${service} generation ${generation} accepted and still applying after ${ms} ms; push it again for the outcome`,
    );
  }
}

export class UnavailableError extends QnetError {
  readonly code = 'UNAVAILABLE';
}

/** Untrusted text in a message: JSON-quoted (no control characters reach a terminal) and truncated. */
export function quote(untrusted: unknown, max = 64): string {
  const text = typeof untrusted === 'string' ? untrusted : String(untrusted);
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut);
}

import type { ErrorCode } from '../../shared/errors/codes';
import { QnetError, quote } from '../../shared/errors/qnet-error';

/**
 * How qubesd's exception types map onto qnet's codes. Anything not listed is
 * a refusal qnet cannot classify further, so it reads as the change failing.
 */
const CODE_BY_EXCEPTION: Readonly<Record<string, ErrorCode>> = {
  QubesVMNotFoundError: 'NOT_FOUND',
  QubesFeatureNotFoundError: 'NOT_FOUND',
  QubesTagNotFoundError: 'NOT_FOUND',
  QubesLabelNotFoundError: 'NOT_FOUND',
  QubesNoSuchPropertyError: 'NOT_FOUND',
  QubesValueError: 'BAD_REQUEST',
  QubesPropertyValueError: 'BAD_REQUEST',
  QubesVMInvalidUUIDError: 'BAD_REQUEST',
  QubesVMAlreadyExistsError: 'CONFLICT',
  QubesVMInUseError: 'CONFLICT',
  QubesVMNotHaltedError: 'CONFLICT',
  QubesVMNotStartedError: 'CONFLICT',
  QubesVMNotRunningError: 'CONFLICT',
};

/**
 * qubesd answered a call with an exception (`2\0TYPE\0TRACEBACK\0MESSAGE\0`).
 * `excType` is the Python class name, e.g. `QubesFeatureNotFoundError`, so
 * callers can switch on it as qubesadmin's users catch the class.
 */
export class QubesdError extends QnetError {
  readonly code: ErrorCode;
  constructor(
    readonly excType: string,
    readonly qubesdMessage: string,
    readonly call: string,
  ) {
    super(`${call}: qubesd raised ${excType}: ${quote(qubesdMessage, 200)}`);
    this.code = CODE_BY_EXCEPTION[excType] ?? 'APPLY_FAILED';
  }
}

/** The socket is missing or refused the connection: qubesd is not running. */
export class QubesdUnavailableError extends QnetError {
  readonly code = 'UNAVAILABLE';
}

/**
 * qubesd closed the connection without a reply. It does so for a request it
 * considers malformed (ProtocolError), a refused one (PermissionDenied) and an
 * internal failure; the reason is only in dom0's journal.
 */
export class QubesdNoReplyError extends QnetError {
  readonly code = 'UNAVAILABLE';
  constructor(readonly call: string) {
    super(`${call}: qubesd closed the connection without a reply (see journalctl -u qubesd)`);
  }
}

/** A reply or event that does not follow qubesd's framing or an Admin API format. */
export class QubesdProtocolError extends QnetError {
  readonly code = 'BAD_REQUEST';
}

/** A change qnet leaves to Qubes's own tools when qubesd owns the inventory. */
export class UnsupportedChangeError extends QnetError {
  readonly code = 'BAD_REQUEST';
  constructor(
    readonly kind: string,
    tool: string,
  ) {
    super(`${kind} is not done by qnet when qubesd owns the qubes: use ${tool}`);
  }
}

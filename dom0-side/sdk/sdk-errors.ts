import { RemoteServiceError } from '../../shared/errors/client-errors';
import { isErrorCode, type ErrorCode } from '../../shared/errors/codes';
import { QnetError } from '../../shared/errors/qnet-error';

/** An error qnetd answered with; `code` is its stable code, the message its one line. */
export class QnetdError extends QnetError {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** No such qube (qubesadmin's QubesVMNotFoundError). */
export class QubeNotFoundError extends QnetdError {}
/** The change breaks a rule: bad name, netvm loop, duplicate address, bad firewall rule… */
export class InvalidChangeError extends QnetdError {}
/** The change conflicts with what exists (a qube of that name, a qube still used as netvm). */
export class ChangeConflictError extends QnetdError {}
/**
 * A compare-and-set replace lost: the firewall changed after it was read.
 * `vm.firewall.edit()` and the CLI retry on it; direct callers read again and retry.
 */
export class RevisionConflictError extends QnetdError {}
/** qnetd is not running, or not where the run dir says. */
export class QnetdUnavailableError extends QnetdError {}
/** A push the caller waited on failed (see `results`). */
export class PushFailedError extends QnetdError {
  constructor(
    message: string,
    readonly results: readonly { qube: string; service: string; outcome: string }[],
  ) {
    super('APPLY_FAILED', message);
  }
}

const CLASS_BY_CODE: Partial<Record<ErrorCode, new (code: ErrorCode, message: string) => QnetdError>> = {
  NOT_FOUND: QubeNotFoundError,
  BAD_REQUEST: InvalidChangeError,
  CONFLICT: ChangeConflictError,
  REVISION_CONFLICT: RevisionConflictError,
  UNAVAILABLE: QnetdUnavailableError,
};

/**
 * What a failed admin call becomes for SDK users: qnetd's error envelope
 * (`dom0: CODE: message` from the client) turns back into a typed error with
 * qnetd's code and message; transport errors (no socket) pass as they are.
 */
export function toSdkError(err: unknown): unknown {
  if (err instanceof RemoteServiceError) {
    const code: ErrorCode = isErrorCode(err.remoteCode) ? err.remoteCode : 'INTERNAL';
    const message = err.message.replace(/^[^:]*: [A-Z_]+: /, '');
    const Klass = CLASS_BY_CODE[code] ?? QnetdError;
    return new Klass(code, message);
  }
  if (err instanceof QnetError && err.code === 'UNAVAILABLE' && !(err instanceof QnetdError)) {
    return new QnetdUnavailableError('UNAVAILABLE', `qnetd is not running: ${err.message}`);
  }
  return err;
}

import { QnetError } from '../../shared/errors/qnet-error';

/** The state file exists but is not a valid inventory. It is left in place for a person to look at. */
export class CorruptStateError extends QnetError {
  readonly code = 'BAD_REQUEST';
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`state file ${JSON.stringify(path)} is corrupt: ${reason}; it was left untouched`);
  }
}

/** The state file could not be read (permissions, I/O error, not a regular file). */
export class UnreadableStateError extends QnetError {
  readonly code = 'UNAVAILABLE';
  constructor(
    readonly path: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`state file ${JSON.stringify(path)} cannot be read: ${reason}`, options);
  }
}

export class StateTooLargeError extends QnetError {
  readonly code = 'PAYLOAD_TOO_LARGE';
  constructor(
    readonly path: string,
    readonly limit: number,
  ) {
    super(`state file ${JSON.stringify(path)} exceeds ${limit} bytes; it was left untouched`);
  }
}

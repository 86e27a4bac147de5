/**
 * The closed table of error codes. Append-only: scripts switch on these.
 * Exit numbers follow sysexits.h; 125-127 are qrexec's own and never used here.
 */
export const ERROR_CODES = {
  BAD_REQUEST: { exit: 65 }, // EX_DATAERR: not msgpack, wrong types, unknown keys, bad argument
  PAYLOAD_TOO_LARGE: { exit: 65 },
  UNKNOWN_SERVICE: { exit: 69 }, // EX_UNAVAILABLE: this process serves no such service
  FORBIDDEN: { exit: 77 }, // EX_NOPERM: e.g. asked for another qube's config
  NOT_FOUND: { exit: 66 }, // EX_NOINPUT: no such qube, rule, document
  CONFLICT: { exit: 75 },
  APPLY_FAILED: { exit: 70 }, // EX_SOFTWARE: the handler could not do its job
  INTERNAL: { exit: 70 }, // a bug: details only in the log
  TIMEOUT: { exit: 75 }, // EX_TEMPFAIL
  UNAVAILABLE: { exit: 69 },
  NO_SPACE: { exit: 74 }, // EX_IOERR: ENOSPC/EDQUOT writing a file; the user can free space
  READ_ONLY: { exit: 74 }, // EX_IOERR: EROFS; the user can remount
  /** The deadline passed while the change was still being applied: it lands later; push again to learn the outcome. */
  TIMEOUT_APPLIED_LATER: { exit: 75 }, // EX_TEMPFAIL
  REVISION_CONFLICT: { exit: 75 }, // compare-and-set lost: the object changed since it was read; read again and retry
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}

export function exitCodeFor(code: string): number {
  return isErrorCode(code) ? ERROR_CODES[code].exit : ERROR_CODES.INTERNAL.exit;
}

import { fromErrno } from './errno-error';
import { QnetError } from './qnet-error';
import type { WireError } from '../envelope/envelope';

/** The one place where a throwable becomes `envelope.error`. Unknown errors say nothing: details go to the log. */
export function toWireError(err: unknown): WireError {
  if (err instanceof QnetError) return { code: err.code, message: err.message };
  // A full disk or a read-only mount is the user's to fix: say which, never a bare internal error.
  const fs = fromErrno(err);
  return fs ? { code: fs.code, message: fs.message } : { code: 'INTERNAL', message: 'internal error' };
}

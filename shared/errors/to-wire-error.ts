import { QnetError } from './qnet-error';
import type { WireError } from '../envelope/envelope';

/** The one place where a throwable becomes `envelope.error`. Unknown errors say nothing: details go to the log. */
export function toWireError(err: unknown): WireError {
  return err instanceof QnetError
    ? { code: err.code, message: err.message }
    : { code: 'INTERNAL', message: 'internal error' };
}

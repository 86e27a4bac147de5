import { token } from '../di/token';

export interface InvokeOptions {
  timeoutMs: number;
  /** The reply is refused (BadReplyError) past this many bytes. */
  maxReplyBytes: number;
  /**
   * The user the service runs as in the target (the definition's `runAs`). Only dom0's qrexec-client can
   * choose it; from a qube the policy decides. Absent means qrexec's `DEFAULT`.
   */
  runAs?: string;
}

/**
 * Moves bytes to a service in another qube and brings its answer back. Every
 * implementation maps qrexec's outcomes to the same errors: PolicyDeniedError
 * (126), NoSuchServiceError (127), QrexecFailedError (125 and the like),
 * TimeoutError, and BadReplyError for an oversize reply.
 */
export interface Transport {
  invoke(target: string, serviceAndArg: string, payload: Uint8Array, opts: InvokeOptions): Promise<Buffer>;
}
export const Transport = token<Transport>('Transport');

/** qrexec's own exit codes. */
export const QREXEC_EXIT = { FAILED: 125, REFUSED: 126, NO_SERVICE: 127 } as const;

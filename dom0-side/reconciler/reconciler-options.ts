import { token } from '../../shared/di/token';

export interface ReconcilerOptions {
  /** Qubes pushed to at once; a slow qube holds one slot, never the queue. */
  readonly concurrency: number;
  /** Deadline of one push call. */
  readonly callTimeoutMs: number;
  /** Tries per document before it is reported failed (it is pushed again on the next change or `qnet push`). */
  readonly attempts: number;
  /** First retry delay; doubles per attempt up to maxBackoffMs. */
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
}
export const ReconcilerOptions = token<ReconcilerOptions>('ReconcilerOptions');

export const DEFAULT_RECONCILER_OPTIONS: ReconcilerOptions = {
  concurrency: 16,
  callTimeoutMs: 10_000,
  attempts: 4,
  backoffMs: 250,
  maxBackoffMs: 4_000,
};

export function backoffDelay(opts: ReconcilerOptions, attempt: number): number {
  return Math.min(opts.maxBackoffMs, opts.backoffMs * 2 ** (attempt - 1));
}

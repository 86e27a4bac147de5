import { token } from '../../shared/di/token';

export interface ReconcilerOptions {
  /** Qubes pushed to at once; a slow qube holds one slot, never the queue. */
  readonly concurrency: number;
  /** Deadline of one push call. */
  readonly callTimeoutMs: number;
  /**
   * Tries after which a push is reported failed (to `qnet push`, the SDK and the events). qnetd goes on
   * retrying the document for as long as the qube runs; only the report is bounded.
   */
  readonly attempts: number;
  /** First retry delay; doubles per try up to maxBackoffMs. A new push request starts again from here. */
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  /** Each delay is shortened by up to this fraction at random, so qubes that failed together do not retry together. */
  readonly jitter: number;
}
export const ReconcilerOptions = token<ReconcilerOptions>('ReconcilerOptions');

export const DEFAULT_RECONCILER_OPTIONS: ReconcilerOptions = {
  concurrency: 16,
  callTimeoutMs: 10_000,
  attempts: 4,
  backoffMs: 1_000,
  maxBackoffMs: 60_000,
  jitter: 0.2,
};

/**
 * The wait before try `step + 1` after `step` failed tries: exponential, capped, jittered downwards
 * (never above the cap). `random` is in [0, 1).
 */
export function backoffDelay(opts: ReconcilerOptions, step: number, random: number): number {
  const exponential = opts.backoffMs * 2 ** Math.min(Math.max(step - 1, 0), 52);
  const capped = Math.min(opts.maxBackoffMs, exponential);
  return Math.round(capped * (1 - opts.jitter * random));
}

import { token } from '../../shared/di/token';

/** Time as a seam: rule expiry and name TTLs are tested with a hand-driven clock. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once at `atMs` (or soon after); returns a function that cancels it. */
  schedule(atMs: number, fn: () => void): () => void;
}
export const Clock = token<Clock>('Clock');

/**
 * A wake-up is a wall-clock time (a rule's `expire` is unix time), but
 * setTimeout counts monotonic time: after the wall clock jumps forward (NTP
 * at boot, a suspended VM resumed, an operator's `date -s`), a delay computed
 * once would keep an expired accept in force for as long as the jump. So the
 * wall clock is looked at again at least this often, and a wake-up whose
 * time has passed fires then. Node has no clock-change notification.
 */
export const WALL_CLOCK_RECHECK_MS = 2000;

export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  schedule(atMs: number, fn: () => void): () => void {
    let timer: NodeJS.Timeout | undefined;
    const arm = (fromTimer: boolean) => {
      const delay = atMs - Date.now();
      if (delay <= 0 && fromTimer) return fn();
      timer = setTimeout(() => arm(true), Math.min(Math.max(0, delay), WALL_CLOCK_RECHECK_MS));
      // A pending refresh must not keep a finished process (a test, a one-shot command) alive.
      timer.unref();
    };
    arm(false);
    return () => clearTimeout(timer);
  }
}

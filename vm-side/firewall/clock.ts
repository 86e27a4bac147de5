import { token } from '../../shared/di/token';

/** Time as a seam: rule expiry and name TTLs are tested with a hand-driven clock. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once at `atMs` (or soon after); returns a function that cancels it. */
  schedule(atMs: number, fn: () => void): () => void;
}
export const Clock = token<Clock>('Clock');

/** setTimeout takes at most a signed 32-bit delay; a later wake-up is re-armed in steps. */
const MAX_DELAY_MS = 2 ** 31 - 1;

export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  schedule(atMs: number, fn: () => void): () => void {
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      const delay = atMs - Date.now();
      if (delay > MAX_DELAY_MS) {
        timer = setTimeout(arm, MAX_DELAY_MS);
      } else {
        timer = setTimeout(fn, Math.max(0, delay));
      }
      // A pending refresh must not keep a finished process (a test, a one-shot command) alive.
      timer.unref();
    };
    arm();
    return () => clearTimeout(timer);
  }
}

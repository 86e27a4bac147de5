import { token } from '../../shared/di/token';

/** Milliseconds since the epoch; rule expiry and status times read it, tests set it. */
export interface Clock {
  now(): number;
}
export const Clock = token<Clock>('Clock');
export const systemClock: Clock = { now: () => Date.now() };

/** Waits between retries; tests pass one that returns at once. Never keeps the process alive. */
export type Sleep = (ms: number) => Promise<void>;
export const Sleep = token<Sleep>('Sleep');
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref());

import { token } from '../../shared/di/token';

/** Milliseconds since the epoch; rule expiry and status times read it, tests set it. */
export interface Clock {
  now(): number;
}
export const Clock = token<Clock>('Clock');
export const systemClock: Clock = { now: () => Date.now() };

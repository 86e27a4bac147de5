import { token } from '../../shared/di/token';

/** The clock seam of the retry loop; tests hand in one that returns at once. */
export type Sleep = (ms: number) => Promise<void>;
export const Sleep = token<Sleep>('Sleep');

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

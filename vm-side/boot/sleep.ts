import { token } from '../../shared/di/token';

/** The clock seam of the retry loop; tests hand in one that returns at once. An abort ends the wait early. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;
export const Sleep = token<Sleep>('Sleep');

export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

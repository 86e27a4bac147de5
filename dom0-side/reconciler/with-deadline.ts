import { TimeoutError } from '../../shared/errors/qnet-error';

/**
 * The call's own deadline, kept by the reconciler too: a transport that
 * never settles must cost one push slot for a bounded time, not forever.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

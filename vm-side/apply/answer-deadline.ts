import { token } from '../../shared/di/token';
import { AppliedLaterError } from '../../shared/errors/qnet-error';
import type { Logger } from '../../shared/logging/logger';

/**
 * How long a pushed document may take before the agent answers anyway. Below
 * the socket form's call deadline and dom0's client deadline (10 s each), so
 * the caller hears "accepted, still applying generation N"
 * (TIMEOUT_APPLIED_LATER) from us, never a bare TIMEOUT for a change that
 * then lands.
 */
export const AnswerDeadlineMs = token<number>('AnswerDeadlineMs');
export const DEFAULT_ANSWER_DEADLINE_MS = 8000;

/**
 * `work`'s outcome when it settles within `ms`; otherwise an AppliedLaterError
 * at `ms`, while `work` goes on and its outcome is logged. A push of the same
 * generation then queues behind it and is answered with that outcome.
 */
export function answerWithin<T>(
  work: Promise<T>,
  ms: number,
  what: { readonly service: string; readonly generation: number },
  log: Logger,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(new AppliedLaterError(what.service, what.generation, ms));
      work.then(
        () => log.info(`${what.service}: generation ${what.generation} applied after the answer`),
        (err: unknown) =>
          log.error(`${what.service}: generation ${what.generation} failed after the answer: ${String(err)}`),
      );
    }, ms);
    work.then(
      (value) => {
        if (late) return;
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        if (late) return;
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

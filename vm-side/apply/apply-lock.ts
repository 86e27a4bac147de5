import { token } from '../../shared/di/token';

/**
 * Serializes everything that reads the kernel, plans and applies: two pushes
 * interleaving their observe and apply steps would each plan from a state the
 * other is about to change.
 */
export interface ApplyLock {
  run<T>(task: () => Promise<T>): Promise<T>;
}
export const ApplyLock = token<ApplyLock>('ApplyLock');

export class SerialApplyLock implements ApplyLock {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    // The queue moves on whether the task failed or not; the caller still sees the failure.
    this.tail = result.catch(() => undefined);
    return result;
  }
}

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

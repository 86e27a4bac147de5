import { token } from '../../shared/di/token';
import type { IpPlan } from '../planners/ip-plan';

/** Applies `ip` operations in order, stopping at the first failure. */
export interface IpExecutor {
  apply(plan: IpPlan): Promise<void>;
}
export const IpExecutor = token<IpExecutor>('IpExecutor');

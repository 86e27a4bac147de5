import { token } from '../../shared/di/token';
import type { ConntrackSweep } from './planners/firewall-model';

/** Deletes the conntrack entries a rule change now forbids; a seam with a fake in unit tests. */
export interface ConntrackExecutor {
  /** Returns how many flows were deleted. Never throws for a flow that vanished meanwhile. */
  sweep(sweeps: readonly ConntrackSweep[]): Promise<number>;
}
export const ConntrackExecutor = token<ConntrackExecutor>('ConntrackExecutor');

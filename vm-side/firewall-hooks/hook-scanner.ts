import { token } from '../../shared/di/token';
import type { FirewallHookPaths } from './hook-paths';
import type { FirewallHooksObserved } from './planners/plan-firewall-hooks';

/** Reads the flags, directories and script the firewall hooks planner decides on. */
export interface HookScanner {
  scan(paths: FirewallHookPaths): Promise<FirewallHooksObserved>;
}
export const HookScanner = token<HookScanner>('HookScanner');

import { token } from '../../shared/di/token';
import type { SysctlOp } from '../planners/sysctl-plan';

/** Keys are /proc/sys paths with slashes (`net/ipv4/conf/vif3.0/proxy_arp`). */
export interface SysctlExecutor {
  /** undefined for a key the kernel does not have. */
  read(keys: readonly string[]): Promise<Map<string, string | undefined>>;
  apply(ops: readonly SysctlOp[]): Promise<void>;
}
export const SysctlExecutor = token<SysctlExecutor>('SysctlExecutor');

/** Rejects keys that could leave the sysctl tree. */
export function checkSysctlKey(key: string): string {
  if (!/^[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/.test(key) || key.split('/').some((p) => p === '.' || p === '..')) {
    throw new RangeError(`invalid sysctl key ${JSON.stringify(key.slice(0, 80))}`);
  }
  return key;
}

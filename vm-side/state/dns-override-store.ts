import { z } from 'zod';
import { IpAddress } from '../../services/schemas/ip-address';
import { token } from '../../shared/di/token';

/**
 * DNS targets the qube set for itself (`qnet-agent dns-update` run in the
 * qube, typically by a VPN client): they win over what dom0 pushes until the
 * user clears them, so DNS never silently goes back around the VPN.
 */
export const DnsOverride = z.strictObject({
  upstream: z.array(IpAddress).max(16),
  /** How it was set: `--upstream` by hand, or `--from-system` from the qube's resolv.conf. */
  source: z.enum(['upstream', 'from-system']),
  /** ISO time, for people reading the state. */
  setAt: z.string().max(64),
});
export type DnsOverride = z.infer<typeof DnsOverride>;

/**
 * The override, kept beside the documents: it survives agent restarts.
 * `load` returns `unreadable` for a file that exists but cannot be trusted;
 * the caller must then fail closed (no DNS), never fall back to dom0's servers.
 */
export interface DnsOverrideStore {
  load(): Promise<DnsOverride | 'unreadable' | undefined>;
  save(override: DnsOverride): Promise<void>;
  clear(): Promise<void>;
}
export const DnsOverrideStore = token<DnsOverrideStore>('DnsOverrideStore');

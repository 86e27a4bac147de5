import { token } from '../../shared/di/token';

/**
 * What must be in the kernel before a network-providing qube forwards a
 * single packet for its clients: the firewall tables with their drop policy
 * and the client chains of the last firewall document this qube applied (none
 * at all: every client's traffic dropped until a firewall document arrives).
 * Every path that turns forwarding on (boot init, the socket form's start,
 * the executable form, a push) asks for this first.
 */
export interface FilteringGuard {
  /** Idempotent; throws when the filtering could not be put in place (forwarding must then stay as it is). */
  ensureFiltering(): Promise<void>;
}
export const FilteringGuard = token<FilteringGuard>('FilteringGuard');

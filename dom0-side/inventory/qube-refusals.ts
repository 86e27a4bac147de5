import { ConflictError, quote } from '../../shared/errors/qnet-error';
import type { Inventory } from './inventory';

/**
 * The refusals qubesd makes for the state of other qubes, not for the
 * change itself: the change would be valid, but it would cut a running
 * qube's network or leave a reference dangling. Each message names the qube
 * the user acted on, then the qubes that stand in the way.
 */

/** qubesd's QubesVMInUseError: other qubes (or a global property) depend on this one. */
export class QubeInUseError extends ConflictError {}

/** qubesd's QubesVMNotStartedError for a netvm: a running qube cannot be attached to a halted one. */
export class NetvmNotRunningError extends ConflictError {}

const names = (list: readonly string[]) => list.map((n) => quote(n, 32)).join(', ');

/** What refers to `name`: `netvm of 'work'` per qube, `default_netvm` for the global property. */
export function usesOf(inventory: Inventory, name: string): string[] {
  const uses: string[] = [];
  if (inventory.defaultNetvm === name) uses.push('default_netvm');
  const clients = inventory
    .list()
    .filter((q) => q.netvm === name && q.name !== name)
    .map((q) => q.name);
  if (clients.length > 0) uses.push(`netvm of ${names(clients)}`);
  return uses;
}

/** As qubesd's domain-pre-delete: a qube something still refers to is not removed. */
export function checkRemovable(inventory: Inventory, name: string): void {
  const uses = usesOf(inventory, name);
  if (uses.length > 0) {
    throw new QubeInUseError(`qube ${quote(name, 32)} is in use (${uses.join('; ')}); change those first`);
  }
}

/**
 * As qubesd's domain-pre-shutdown on a network provider: refused while
 * qubes connected to it run, unless forced (they then lose their network).
 */
export function checkShutdown(inventory: Inventory, name: string, force: boolean): void {
  const q = inventory.get(name);
  if (!q || force || !q.providesNetwork || q.power !== 'running') return;
  const running = inventory
    .list()
    .filter((c) => c.netvm === name && c.power === 'running')
    .map((c) => c.name);
  if (running.length > 0) {
    throw new QubeInUseError(
      `qube ${quote(name, 32)} still has running qubes connected: ${names(running)}; shut them down first or force`,
    );
  }
}

/**
 * As qubesd's property-pre-set:netvm (also reached by a reset to
 * default_netvm): a running qube whose netvm changes to a halted one is
 * refused, since its network could not be attached.
 */
export function checkNetvmAttach(before: Inventory, after: Inventory, name: string): void {
  const q = after.get(name);
  if (!q || q.power !== 'running' || q.netvm === null || before.get(name)?.netvm === q.netvm) return;
  if (after.get(q.netvm)?.power !== 'running') {
    throw new NetvmNotRunningError(
      `qube ${quote(name, 32)} is running and its new netvm ${quote(q.netvm, 32)} is halted; start ${quote(q.netvm, 32)} first`,
    );
  }
}

/** A change that only a halted qube can take. */
export class QubeRunningError extends ConflictError {}

/**
 * A qube's NIC gets its MAC when Xen builds the domain; qubesd stores a new
 * `mac` on a running qube but it only applies at the next start, while
 * qnet's documents would tell the qube's agent to look for an interface
 * that does not exist yet. The embedded store refuses instead of cutting
 * the qube's network until its restart.
 */
export function checkMacChange(before: Inventory, after: Inventory, name: string): void {
  const [was, is] = [before.get(name), after.get(name)];
  if (!was || !is || is.power !== 'running' || was.mac === is.mac) return;
  throw new QubeRunningError(
    `qube ${quote(name, 32)} is running: its interface keeps the MAC it started with; shut it down, then change mac`,
  );
}

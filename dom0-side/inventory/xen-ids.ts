import { ConflictError } from '../../shared/errors/qnet-error';
import type { Inventory } from './inventory';
import { MAX_XID, type Qube } from './qube';

/**
 * The id Xen gives the next domain it builds: the one after the last it
 * handed out, wrapping past the reserved ids, skipping ids still held. So a
 * qube that stops and starts again gets a new id (and a new vif name), as on
 * Xen, and an id is not handed out again while others are unused.
 */
export function nextXid(inventory: Inventory): number {
  const held = new Set<number>();
  for (const q of inventory.map.values()) if (q.xid !== undefined) held.add(q.xid);
  for (let i = 1; i <= MAX_XID; i++) {
    const xid = ((inventory.lastXid + i - 1) % MAX_XID) + 1;
    if (!held.has(xid)) return xid;
  }
  throw new ConflictError('no free Xen domain id left');
}

/** The qube in its new power state, as Xen leaves it: a fresh xid when it starts, none once it stops. */
export function withPower(inventory: Inventory, q: Qube, power: Qube['power']): Inventory {
  const { xid, ...rest } = q;
  if (power === 'halted') return inventory.with({ ...rest, power });
  if (q.power === 'running' && xid !== undefined) return inventory.with(q);
  const fresh = nextXid(inventory);
  return inventory.with({ ...rest, power, xid: fresh }, fresh);
}

/**
 * Running qubes without an xid (a state file older than xids, a qube
 * created running) get one, in name order; the same inventory when none is
 * missing. Deterministic: a qnetd restart before the next save hands out
 * the same ids again.
 */
export function withXenIds(inventory: Inventory): Inventory {
  let next = inventory;
  for (const q of inventory.list()) {
    if (q.power === 'running' && q.xid === undefined) next = withPower(next, q, 'running');
  }
  return next;
}

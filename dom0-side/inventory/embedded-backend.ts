import { inject, injectable } from 'tsyringe';
import { ConflictError, NotFoundError, quote } from '../../shared/errors/qnet-error';
import { MAX_QUBE_ID } from '../address-plan/address-plan';
import { SerialQueue } from '../../shared/runtime/serial-queue';
import { Inventory } from './inventory';
import type { InventoryBackend, InventoryBackendEvent, InventoryChange } from './inventory-backend';
import { InventoryStore } from './inventory-store';
import type { Qube } from './qube';
import { guestFeatureError } from '../documents/guest-features';
import { withFeature } from './feature-record';
import { InvalidInventoryError } from './inventory-error';
import { checkMacChange, checkNetvmAttach, checkRemovable, checkShutdown } from './qube-refusals';
import { requireModelledProperty, withPropertyReset } from './reset-property';
import { withPower, withXenIds } from './xen-ids';

function existing(inventory: Inventory, name: string): Qube {
  const q = inventory.get(name);
  if (!q) throw new NotFoundError(`no such qube ${quote(name, 32)}`);
  return q;
}

/** The smallest id no qube holds (Qubes hands out the lowest free qid too). */
export function freeId(inventory: Inventory, field: 'qid' | 'dispid'): number {
  const used = new Set<number>();
  for (const q of inventory.map.values()) {
    const id = q[field];
    if (id !== undefined) used.add(id);
  }
  for (let id = 1; id <= MAX_QUBE_ID; id++) if (!used.has(id)) return id;
  throw new ConflictError(`no free ${field} left`);
}

/** One change applied to an inventory; pure, and the result is validated whole (or it throws). */
export function applyInventoryChange(inventory: Inventory, change: InventoryChange): Inventory {
  switch (change.kind) {
    case 'create': {
      if (inventory.get(change.qube.name)) {
        throw new ConflictError(`qube ${quote(change.qube.name, 32)} already exists`);
      }
      return withXenIds(inventory.with(change.qube));
    }
    case 'remove':
      existing(inventory, change.name);
      checkRemovable(inventory, change.name);
      return inventory.without(change.name);
    case 'set-netvm': {
      const next = inventory.with({ ...existing(inventory, change.name), netvm: change.netvm, netvmIsDefault: false });
      checkNetvmAttach(inventory, next, change.name);
      return next;
    }
    case 'set-provides-network':
      return inventory.with({
        ...existing(inventory, change.name),
        providesNetwork: change.value,
        providesNetworkIsDefault: false,
      });
    case 'reset-property': {
      const q = existing(inventory, change.name);
      const next = inventory.with(withPropertyReset(inventory, q, requireModelledProperty(change.property))!);
      checkNetvmAttach(inventory, next, change.name);
      checkMacChange(inventory, next, change.name);
      return next;
    }
    case 'set-address': {
      const { [change.family]: _old, ...rest } = existing(inventory, change.name);
      const next = inventory.with(change.value === null ? rest : { ...rest, [change.family]: change.value });
      checkMacChange(inventory, next, change.name);
      return next;
    }
    case 'set-feature': {
      const q = existing(inventory, change.name);
      // qubesd's feature-pre-set handlers refuse these values before they are stored (net.fake-*: qubes/vm/mix/net.py).
      const invalid = change.value === null ? undefined : guestFeatureError(change.feature, change.value);
      if (invalid) throw new InvalidInventoryError(`feature ${quote(change.feature, 64)}: ${invalid}`);
      return inventory.with({ ...q, features: withFeature(q.features, change.feature, change.value) });
    }
    case 'set-firewall': {
      const { firewall: _old, unparsedFirewall: _unparsed, ...rest } = existing(inventory, change.name);
      return inventory.with(change.rules === null ? rest : { ...rest, firewall: change.rules });
    }
    case 'set-power':
      existing(inventory, change.name);
      if (change.power === 'halted') checkShutdown(inventory, change.name, change.force === true);
      return withPower(inventory, existing(inventory, change.name), change.power);
  }
}

/**
 * The embedded store as a backend: qnetd is its only writer, so every
 * change comes through `apply` and nothing needs watching. Changes are
 * serialized and saved before they are visible, so a crash loses at most
 * the change being saved (the file holds the old state or the new).
 */
@injectable()
export class EmbeddedInventoryBackend implements InventoryBackend {
  private current: Inventory | undefined;
  private readonly queue = new SerialQueue();

  constructor(@inject(InventoryStore) private readonly store: InventoryStore) {}

  async load(): Promise<Inventory> {
    // Running qubes of an older state file are given their Xen ids here (saved with the next change).
    return (this.current ??= withXenIds(await this.store.load()));
  }

  apply(change: InventoryChange): Promise<Inventory> {
    const run = async () => {
      const next = applyInventoryChange(await this.load(), change);
      await this.store.save(next);
      this.current = next;
      return next;
    };
    return this.queue.run(run);
  }

  watch(_listener: (event: InventoryBackendEvent) => void): () => void {
    return () => {};
  }

  async dispose(): Promise<void> {
    await this.queue.drain();
  }
}

import { SerialQueue } from '../../shared/runtime/serial-queue';
import { inject, injectable } from 'tsyringe';
import { Logger } from '../../shared/logging/logger';
import type { Inventory } from '../inventory/inventory';
import type { InventoryBackend, InventoryBackendEvent, InventoryChange } from '../inventory/inventory-backend';
import { checkQubesdChangeSupported, planQubesdChange } from './plan-qubesd-change';
import { QubesdClient } from './qubesd-client';
import { QubesdConfig } from './qubesd-config';
import { QubesdError } from './qubesd-errors';
import { QubesdEventWatcher } from './qubesd-event-watcher';
import { readQubesdInventory } from './read-qubesd-inventory';

type Listener = (event: InventoryBackendEvent) => void;

/**
 * The inventory as qubesd holds it. qubesd is the writer of record: `load()`
 * reads it whole, `apply()` writes one property, feature or firewall through
 * the Admin API, and `watch()` follows `admin.Events`.
 */
@injectable()
export class QubesdInventoryBackend implements InventoryBackend {
  private readonly listeners = new Set<Listener>();
  private readonly watcher: QubesdEventWatcher;
  /** Applies run one at a time, so each validates against the state the previous one left. */
  /** Applies run one at a time: each validates against the inventory the previous one left. */
  private readonly applying = new SerialQueue();
  /** The last full read, reusable by `apply` while the events stream proves nothing changed since. */
  private cache: { readonly inventory: Inventory; readonly epoch: number } | undefined;

  constructor(
    @inject(QubesdClient) private readonly client: QubesdClient,
    @inject(QubesdConfig) private readonly config: QubesdConfig,
    @inject(Logger) private readonly logger: Logger,
  ) {
    this.watcher = new QubesdEventWatcher(client, config, logger, (reason) => this.notify(reason));
  }

  async load(): Promise<Inventory> {
    const epoch = this.watcher.epoch;
    const inventory = await readQubesdInventory(this.client, this.config.concurrency, this.logger);
    if (this.watcher.connected && this.watcher.epoch === epoch) this.cache = { inventory, epoch };
    return inventory;
  }

  apply(change: InventoryChange): Promise<Inventory> {
    return this.applying.run(() => this.applyNow(change));
  }

  watch(listener: Listener): () => void {
    this.listeners.add(listener);
    this.watcher.start();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.watcher.stop();
    };
  }

  async dispose(): Promise<void> {
    this.listeners.clear();
    this.watcher.stop();
    await this.applying.drain();
  }

  private async applyNow(change: InventoryChange): Promise<Inventory> {
    checkQubesdChangeSupported(change);
    const plan = planQubesdChange(await this.current(), change);
    try {
      await this.client.call(plan.call);
    } catch (err) {
      // Deleting a feature that is already gone leaves the state asked for.
      const alreadyGone = err instanceof QubesdError && err.excType === 'QubesFeatureNotFoundError';
      if (!(alreadyGone && plan.call.method === 'admin.vm.feature.Remove')) throw err;
    }
    // Until the write's own event arrives (and moves the epoch on), this is the best view.
    this.cache = { inventory: plan.next, epoch: this.watcher.epoch };
    return plan.next;
  }

  /**
   * qvm-prefs and other Admin API clients change qubesd behind qnet's back, so
   * without a live events stream every apply validates against a fresh read.
   * A change whose event is still in flight can slip past this check; qubesd
   * then validates the write itself, and the event triggers a reload.
   */
  private current(): Promise<Inventory> {
    const cached = this.cache;
    const fresh = cached && this.watcher.connected && cached.epoch === this.watcher.epoch;
    return fresh ? Promise.resolve(cached.inventory) : this.load();
  }

  private notify(reason: string): void {
    for (const listener of [...this.listeners]) {
      try {
        listener({ reason });
      } catch (err) {
        this.logger.error('inventory listener failed', { error: (err as Error).message });
      }
    }
  }
}

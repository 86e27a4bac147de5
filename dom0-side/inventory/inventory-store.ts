import { token } from '../../shared/di/token';
import type { Inventory } from './inventory';

/** Where dom0 keeps its inventory between runs. */
export interface InventoryStore {
  /** The saved inventory; an empty one when nothing was ever saved. Never silently replaces a bad file. */
  load(): Promise<Inventory>;
  /** Replaces the saved inventory atomically: a crash leaves the old or the new one. */
  save(inventory: Inventory): Promise<void>;
}
export const InventoryStore = token<InventoryStore>('InventoryStore');

export interface InventoryStoreConfig {
  readonly path: string;
  /** Reading stops beyond this; a larger file is an error, not a truncated inventory. */
  readonly maxBytes: number;
}
export const InventoryStoreConfig = token<InventoryStoreConfig>('InventoryStoreConfig');

/** 10000 qubes with a few rules each fit comfortably. */
export const DEFAULT_STATE_MAX_BYTES = 32 * 1024 * 1024;

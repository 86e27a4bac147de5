import { token } from '../../shared/di/token';
import type { FirewallRuleModel } from '../firewall/rule-model';
import type { Inventory } from './inventory';
import type { PowerState, Qube } from './qube';

/**
 * One change to dom0's qubes, as the SDK, the CLI or the simulator asks for
 * it. A backend validates it against the whole inventory (netvm loops,
 * duplicate addresses…) and either applies all of it or none.
 */
export type InventoryChange =
  | { readonly kind: 'create'; readonly qube: Qube }
  | { readonly kind: 'remove'; readonly name: string }
  | { readonly kind: 'set-netvm'; readonly name: string; readonly netvm: string | null }
  | { readonly kind: 'set-provides-network'; readonly name: string; readonly value: boolean }
  | {
      readonly kind: 'set-address';
      readonly name: string;
      /** The qube's IPv4, IPv6 or MAC address (`null`: back to the planned one, or Qubes's default MAC). */
      readonly family: 'ip' | 'ip6' | 'mac';
      readonly value: string | null;
    }
  /** `value: null` deletes the feature (as `qvm-features --delete`); '' is a value. */
  | { readonly kind: 'set-feature'; readonly name: string; readonly feature: string; readonly value: string | null }
  /** `rules: null` returns to Qubes's default (no firewall configured: accept all). */
  | { readonly kind: 'set-firewall'; readonly name: string; readonly rules: readonly FirewallRuleModel[] | null }
  /** `force`: stop a network provider although qubes connected to it run (as `qvm-shutdown --force`). */
  | { readonly kind: 'set-power'; readonly name: string; readonly power: PowerState; readonly force?: boolean }
  /**
   * `qvm-prefs --default`: the property returns to Qubes's default (netvm
   * follows `default_netvm` again, ip/ip6/mac to the planned ones). Any
   * property name: qubesd knows them all; the embedded store those it models.
   */
  | { readonly kind: 'reset-property'; readonly name: string; readonly property: string };

export interface InventoryBackendEvent {
  /** What happened, for logs and `qnet status` (e.g. `domain-start work`, `resync after reconnect`). */
  readonly reason: string;
}

/**
 * Where dom0's qubes live: the embedded store (qnetd is the only writer) or
 * qubesd (the Admin API is; qnetd follows its events). qnetd only talks to
 * this interface, so the reconciler cannot tell which one it runs on.
 */
export interface InventoryBackend {
  /** The current inventory; for qubesd a full read (admin.vm.List and friends). */
  load(): Promise<Inventory>;
  /** Validates and applies one change durably; returns the new inventory. */
  apply(change: InventoryChange): Promise<Inventory>;
  /**
   * Changes that did not come through `apply` (qubesd events, a reconnect
   * that needs a full resync). The listener reloads; returns an unsubscribe.
   */
  watch(listener: (event: InventoryBackendEvent) => void): () => void;
  dispose(): Promise<void>;
}
export const InventoryBackend = token<InventoryBackend>('InventoryBackend');

import type { FirewallRuleModel } from '../firewall/rule-model';

export type QubeClass = 'AppVM' | 'DispVM' | 'TemplateVM' | 'StandaloneVM';
export const QUBE_CLASSES: readonly QubeClass[] = ['AppVM', 'DispVM', 'TemplateVM', 'StandaloneVM'];

/** Qubes's power states collapse to whether the qube's vif exists. */
export type PowerState = 'running' | 'halted';

/** One qube as dom0 knows it. Immutable: a change is a new record. */
export interface Qube {
  readonly name: string;
  /** 1..9999; dom0 is 0 and never networked. */
  readonly qid: number;
  readonly klass: QubeClass;
  /** Only for DispVM: its disposable id, which picks its 10.138.* address. */
  readonly dispid?: number;
  /** Name of the qube providing its network, or null for none. */
  readonly netvm: string | null;
  readonly providesNetwork: boolean;
  /** Its label (red, green…), as qvm-create -l set it; absent when created without one. */
  readonly label?: string;
  /** Qubes features are strings; `ipv6` is read from here. */
  readonly features: Readonly<Record<string, string>>;
  readonly tags: readonly string[];
  /**
   * Undefined means Qubes's default (no firewall.xml: accept everything). An
   * empty list is a configured firewall with no rules, which drops everything.
   */
  readonly firewall?: readonly FirewallRuleModel[];
  /**
   * Stored rule lines this qnet no longer accepts (written by an older
   * version): kept verbatim so nothing is lost, and the qube's firewall
   * fails closed until its rules are replaced. `firewall` is then empty.
   */
  readonly unparsedFirewall?: { readonly lines: readonly string[]; readonly error: string };
  readonly power: PowerState;
  /** User overrides of the planned addresses (Qubes's `ip` / `ip6` properties). */
  readonly ip?: string;
  readonly ip6?: string;
  /** A `mac` set on the qube; absent is Qubes's default, `QUBE_MAC`. */
  readonly mac?: string;
  /**
   * True when `netvm` is not set on the qube but follows the global
   * `default_netvm` (qvm-prefs shows `D`); a reset returns it there.
   */
  readonly netvmIsDefault?: boolean;
  /** True when `provides_network` was never set on the qube (Qubes's default, False). */
  readonly providesNetworkIsDefault?: boolean;
}

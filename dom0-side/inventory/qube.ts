import type { FirewallRuleModel } from '../firewall/rule-model';

export type QubeClass = 'AppVM' | 'DispVM' | 'TemplateVM' | 'StandaloneVM';
export const QUBE_CLASSES: readonly QubeClass[] = ['AppVM', 'DispVM', 'TemplateVM', 'StandaloneVM'];

/** Qubes's power states collapse to whether the qube's vif exists. */
export type PowerState = 'running' | 'halted';

/** Qubes's default `mac` of every qube's own interface (qubes/vm/mix/net.py); one value serves because each link joins only two ends. */
export const DEFAULT_QUBE_MAC = '00:16:3e:5e:6c:00';

/**
 * Xen's domain ids: 0 is dom0, and ids from DOMID_FIRST_RESERVED (0x7ff0)
 * up are reserved, so a guest's xid is 1..0x7fef.
 */
export const MAX_XID = 0x7fef;

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
  /**
   * Xen's domain id while the qube runs (qubesd's `xid`; -1 there when
   * halted, absent here). A new one at every start: the provider's end of
   * the qube's link is `vif<xid>.0`. A running qube whose domain is still
   * being built has none yet, and no vif.
   */
  readonly xid?: number;
  /** User overrides of the planned addresses (Qubes's `ip` / `ip6` properties). */
  readonly ip?: string;
  readonly ip6?: string;
  /** A `mac` set on the qube; absent is Qubes's default, `DEFAULT_QUBE_MAC`. */
  readonly mac?: string;
  /**
   * True when `netvm` is not set on the qube but follows the global
   * `default_netvm` (qvm-prefs shows `D`); a reset returns it there.
   */
  readonly netvmIsDefault?: boolean;
  /** True when `provides_network` was never set on the qube (Qubes's default, False). */
  readonly providesNetworkIsDefault?: boolean;
}

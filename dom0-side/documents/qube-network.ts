import type { FirewallRule } from '../../services/schemas/firewall-rule';
import { planAddresses } from '../address-plan/address-plan';
import { DEFAULT_FIREWALL, isRuleExpired, type FirewallRuleModel } from '../firewall/rule-model';
import { UnrepresentableRuleError } from '../firewall/firewall-rule-error';
import { toWireRule } from '../firewall/to-wire-rule';
import type { Inventory } from '../inventory/inventory';
import { effectiveIpv6 } from '../ipv6/effective-ipv6';
import { DEFAULT_QUBE_MAC } from '../inventory/qube';
import { canonicalJson } from './canonical-json';
import { guestFeatures, sameGuestFeatures, type GuestFeatures } from './guest-features';

/** Everything any document reads about one qube, already resolved (addresses, IPv6, live rules). */
export interface QubeNetwork {
  readonly name: string;
  readonly qid: number;
  readonly ip: string;
  /** Present only when IPv6 is on for this qube. */
  readonly ip6?: string;
  readonly ipv6: boolean;
  readonly netvm: string | null;
  readonly providesNetwork: boolean;
  readonly running: boolean;
  /** Xen's domain id while running: the provider names the qube's link `vif<xid>.0`. */
  readonly xid?: number;
  /** The MAC of the qube's own interface (its `mac`, or Qubes's default): its agent finds eth0 by it. */
  readonly mac: string;
  /** Rules not expired at the snapshot's `now`, in wire form. */
  readonly rules: readonly FirewallRule[];
  /** canonicalJson(rules), so a rule change is one string comparison. */
  readonly rulesKey: string;
  /**
   * Why this qube's rules could not be sent (a live rule Qubes accepts but
   * the wire cannot carry); its firewall is then drop-all, and only its own.
   */
  readonly firewallError?: string;
  /** The features that shape its own link (services, net.fake-*, MTU). */
  readonly guest: GuestFeatures;
}

/** What a client gets when one of its live rules cannot be sent: Qubes's agent falls back to the same. */
export const FAIL_CLOSED_RULES: readonly FirewallRule[] = Object.freeze([Object.freeze({ action: 'drop' as const })]);

type ConvertedRule =
  | { readonly rule: FirewallRuleModel; readonly wire: FirewallRule }
  | { readonly rule: FirewallRuleModel; readonly error: string };

interface LiveRules {
  readonly rules: readonly FirewallRule[];
  readonly key: string;
  readonly error?: string;
}

interface ConvertedRules {
  readonly pairs: readonly ConvertedRule[];
  /** Wire rules and their canonical text when none can expire: the common case needs no per-snapshot work. */
  readonly permanent?: LiveRules;
}

// Qube records are immutable and shared between successive inventories, so a
// rule list converts once however many snapshots see it.
const converted = new WeakMap<readonly FirewallRuleModel[], ConvertedRules>();

function convertRule(rule: FirewallRuleModel, index: number): ConvertedRule {
  try {
    return { rule, wire: toWireRule(rule) };
  } catch (err) {
    if (err instanceof UnrepresentableRuleError) return { rule, error: `rule ${index}: ${err.message}` };
    throw err;
  }
}

/** The live rules in wire form; one that cannot be sent turns the whole list into drop-all. */
function toLiveRules(pairs: readonly ConvertedRule[]): LiveRules {
  const wire: FirewallRule[] = [];
  for (const p of pairs) {
    if ('error' in p) return { rules: FAIL_CLOSED_RULES, key: canonicalJson(FAIL_CLOSED_RULES), error: p.error };
    wire.push(p.wire);
  }
  return { rules: wire, key: canonicalJson(wire) };
}

function convert(rules: readonly FirewallRuleModel[]): ConvertedRules {
  let entry = converted.get(rules);
  if (!entry) {
    const pairs = rules.map(convertRule);
    entry = rules.some((r) => r.expire !== undefined) ? { pairs } : { pairs, permanent: toLiveRules(pairs) };
    converted.set(rules, entry);
  }
  return entry;
}

function liveRules(rules: readonly FirewallRuleModel[], nowMs: number): LiveRules {
  const entry = convert(rules);
  if (entry.permanent) return entry.permanent;
  // An expired rule is gone, so one that could not be sent no longer matters.
  return toLiveRules(entry.pairs.filter(({ rule }) => !isRuleExpired(rule, nowMs)));
}

/** Resolves every qube of the inventory; O(n). */
export function deriveNetwork(inventory: Inventory, nowMs: number): Map<string, QubeNetwork> {
  const ipv6 = effectiveIpv6(inventory.map);
  const result = new Map<string, QubeNetwork>();
  for (const q of inventory.list()) {
    const addrs = planAddresses(q);
    const on = ipv6.get(q.name) === true;
    const rules: LiveRules = q.unparsedFirewall
      ? { rules: FAIL_CLOSED_RULES, key: canonicalJson(FAIL_CLOSED_RULES), error: q.unparsedFirewall.error }
      : liveRules(q.firewall ?? DEFAULT_FIREWALL, nowMs);
    result.set(q.name, {
      name: q.name,
      qid: q.qid,
      ip: addrs.ip,
      ...(on ? { ip6: addrs.ip6 } : {}),
      ipv6: on,
      netvm: q.netvm,
      providesNetwork: q.providesNetwork,
      running: q.power === 'running',
      ...(q.xid !== undefined ? { xid: q.xid } : {}),
      mac: q.mac ?? DEFAULT_QUBE_MAC,
      rules: rules.rules,
      rulesKey: rules.key,
      ...(rules.error !== undefined ? { firewallError: rules.error } : {}),
      guest: guestFeatures(q.features),
    });
  }
  return result;
}

export function sameQubeNetwork(a: QubeNetwork, b: QubeNetwork): boolean {
  return (
    a.qid === b.qid &&
    a.ip === b.ip &&
    a.ip6 === b.ip6 &&
    a.ipv6 === b.ipv6 &&
    a.netvm === b.netvm &&
    a.providesNetwork === b.providesNetwork &&
    a.running === b.running &&
    a.xid === b.xid &&
    a.mac === b.mac &&
    a.rulesKey === b.rulesKey &&
    a.firewallError === b.firewallError &&
    sameGuestFeatures(a.guest, b.guest)
  );
}

/** Clients of each provider (running or not), in name order. */
export function clientsByProvider(network: ReadonlyMap<string, QubeNetwork>): Map<string, QubeNetwork[]> {
  const index = new Map<string, QubeNetwork[]>();
  for (const q of network.values()) {
    if (q.netvm === null) continue;
    const list = index.get(q.netvm);
    if (list) list.push(q);
    else index.set(q.netvm, [q]);
  }
  // network iterates in name order (deriveNetwork inserts so), hence each list is sorted already.
  return index;
}

/**
 * Depth in the netvm tree (a root provider or unconnected qube is 0). A
 * qube's uplink config goes out only after its netvm's has.
 */
export function netvmDepth(network: ReadonlyMap<string, QubeNetwork>, name: string): number {
  let depth = 0;
  let cur = network.get(name)?.netvm ?? null;
  while (cur !== null && depth <= network.size) {
    depth++;
    cur = network.get(cur)?.netvm ?? null;
  }
  return depth;
}

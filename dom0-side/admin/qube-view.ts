import { NETWORK_PROPERTIES, type PushStatus, type QubeInfo } from '../../services/admin/admin-schemas';
import { HOST_NETMASK, VIRTUAL_DNS } from '../../services/net-config';
import { planAddresses } from '../address-plan/address-plan';
import type { NetworkSnapshot } from '../documents/network-snapshot';
import { firewallRevision } from '../firewall/firewall-revision';
import { toFeaturePairs } from '../inventory/feature-record';
import { firewallLines } from '../inventory/firewall-lines';
import { DEFAULT_QUBE_MAC, type Qube } from '../inventory/qube';

/** Computed by qubesd on every read (stateless properties, and the class): never set, so always at their default. */
const ALWAYS_DEFAULT = [
  'klass',
  'dns',
  'gateway',
  'gateway6',
  'visible_gateway',
  'visible_gateway6',
  'visible_ip',
  'visible_ip6',
  'visible_netmask',
  'xid',
] as const;

type NetworkValues = Pick<QubeInfo, (typeof NETWORK_PROPERTIES)[number]>;

/** Python's `a or b` for the `net.fake-*` features: an empty string falls through. */
const fake = (q: Qube, feature: string): string | undefined => q.features[feature] || undefined;

/** What a qube offers its clients (`gateway`, `gateway6`), the part of a netvm its clients read. */
function offered(snapshot: NetworkSnapshot, q: Qube): Pick<QubeInfo, 'gateway' | 'gateway6'> {
  const own = ownAddresses(snapshot, q);
  const ipv6 = snapshot.network.get(q.name)?.ipv6 ?? false;
  return {
    gateway: q.providesNetwork ? own.visible_ip : null,
    gateway6: q.providesNetwork && ipv6 ? own.visible_ip6 : null,
  };
}

/**
 * `ip` and `ip6` as qubesd's `_default_ip`/`_default_ip6` compute them: a
 * value set on the qube always shows; otherwise only a networked qube has
 * an address, and an IPv6 one only while the `ipv6` feature (walked up the
 * netvm chain) is on.
 */
function ownAddresses(snapshot: NetworkSnapshot, q: Qube): Pick<QubeInfo, 'ip' | 'ip6' | 'visible_ip' | 'visible_ip6'> {
  const networked = q.providesNetwork || q.netvm !== null;
  const ipv6 = snapshot.network.get(q.name)?.ipv6 ?? false;
  const planned = planAddresses(q);
  const ip = q.ip ?? (networked ? planned.ip : null);
  const ip6 = q.ip6 ?? (networked && ipv6 ? planned.ip6 : null);
  return { ip, ip6, visible_ip: fake(q, 'net.fake-ip') ?? ip, visible_ip6: ip6 };
}

/**
 * Every network property with qubesd's value. `gateway` is what a
 * network-providing qube offers its clients (its own visible address); the
 * qube's own default gateway is `visible_gateway`, its netvm's `gateway`.
 * The `net.fake-*` features are read from the qube itself (qubesd also
 * looks in its template, which qnet does not model).
 */
export function networkProperties(snapshot: NetworkSnapshot, q: Qube): NetworkValues {
  const ipv6 = snapshot.network.get(q.name)?.ipv6 ?? false;
  const netvm = q.netvm === null ? undefined : snapshot.inventory.get(q.netvm);
  const uplink = netvm ? offered(snapshot, netvm) : undefined;
  return {
    ...ownAddresses(snapshot, q),
    ...offered(snapshot, q),
    mac: q.mac ?? DEFAULT_QUBE_MAC,
    netvm: q.netvm,
    provides_network: q.providesNetwork,
    visible_gateway: fake(q, 'net.fake-gateway') ?? uplink?.gateway ?? null,
    visible_gateway6: ipv6 ? (uplink?.gateway6 ?? null) : null,
    // A netvm always provides network, so its netmask is the host mask.
    visible_netmask: fake(q, 'net.fake-netmask') ?? (netvm ? HOST_NETMASK : null),
    dns: q.netvm !== null || q.providesNetwork ? [...VIRTUAL_DNS] : null,
  };
}

/** The properties holding their default, as qubesd's `default=True` (qvm-prefs's `D`). */
export function defaultProperties(q: Qube): string[] {
  const defaults: string[] = [...ALWAYS_DEFAULT];
  if (q.ip === undefined) defaults.push('ip');
  if (q.ip6 === undefined) defaults.push('ip6');
  if (q.mac === undefined) defaults.push('mac');
  if (q.netvmIsDefault === true) defaults.push('netvm');
  // A record that never said: Qubes's default is False, so False is taken as not set.
  if (q.providesNetworkIsDefault ?? !q.providesNetwork) defaults.push('provides_network');
  return defaults.sort();
}

/** A qube as `qvm-prefs` shows it, with what only qnet knows (power, effective IPv6, pushes). */
/** The admin API's bound on the text (the message quotes the rule, which is bounded but long). */
export const firewallErrorOf = (net: { firewallError?: string } | undefined) => net?.firewallError?.slice(0, 1200);

export function toQubeInfo(snapshot: NetworkSnapshot, q: Qube, generations: PushStatus[]): QubeInfo {
  const net = snapshot.network.get(q.name);
  return {
    name: q.name,
    qid: q.qid,
    xid: q.xid ?? -1,
    klass: q.klass,
    dispid: q.dispid ?? null,
    power: q.power,
    label: q.label ?? null,
    features: toFeaturePairs(q.features),
    firewall: firewallLines(q),
    firewall_error: firewallErrorOf(net) ?? null,
    firewall_revision: firewallRevision(firewallLines(q)),
    ...networkProperties(snapshot, q),
    netmask: q.netvm !== null || q.providesNetwork ? HOST_NETMASK : null,
    ipv6: net?.ipv6 ?? false,
    defaults: defaultProperties(q),
    generations,
  };
}

import type { Uplink } from '../../services/net-config';
import { netmaskPrefix } from '../../shared/net/ipv4-netmask';
import { NETVM_VIF_MAC } from '../../services/schemas/mac-address';
import { InterfaceNotFoundError } from './planner-errors';
import type { IpOp, IpPlan } from './ip-plan';
import type { NetState, RouteState } from './net-state';
import { noDadSysctl, type SysctlOp } from './sysctl-plan';

/** The uplink sits in interface group 1, as upstream's setup-ip puts it; NAT does not depend on it (base-ruleset.ts). */
export const UPLINK_GROUP = 1;

interface DesiredRoute {
  readonly dst: string;
  readonly via?: string;
  readonly onlink?: boolean;
}

const sameRoute = (want: DesiredRoute, have: RouteState) =>
  have.dst === want.dst && have.via === want.via && have.onlink === Boolean(want.onlink);

/**
 * Gateways as host routes plus an onlink default: Qubes routes by /32, never
 * by a shared subnet. With the qube's `disable-default-route` service the
 * defaults are left out and only the gateways stay reachable, as setup-ip does.
 */
export function desiredRoutes(uplink: Uplink): DesiredRoute[] {
  const defaults = !uplink.disableDefaultRoute;
  const routes: DesiredRoute[] = [{ dst: `${uplink.gateway}/32` }];
  if (defaults) routes.push({ dst: '0.0.0.0/0', via: uplink.gateway, onlink: true });
  if (uplink.ip6 && uplink.gateway6) {
    routes.push({ dst: `${uplink.gateway6}/128` });
    if (defaults) routes.push({ dst: '::/0', via: uplink.gateway6, onlink: true });
  }
  return routes;
}

/** `net.fake-netmask` widens the qube's view of its subnet; the kernel then adds the subnet route itself. */
export const uplinkPrefix = (uplink: Pick<Uplink, 'netmask'>): number => netmaskPrefix(uplink.netmask) ?? 32;

const ownAddresses = (uplink: Uplink) => [
  `${uplink.ip}/${uplinkPrefix(uplink)}`,
  ...(uplink.ip6 ? [`${uplink.ip6}/128`] : []),
];
const ownGateways = (uplink: Uplink) => [uplink.gateway, ...(uplink.ip6 && uplink.gateway6 ? [uplink.gateway6] : [])];

/**
 * The guest's own link, chosen by MAC. Pure: observed state in, the `ip`
 * operations that close the gap out; from the converged state it returns no
 * operation at all. Only what qnet installed is ever removed: `previous` (the
 * document applied before, kept in the agent's state) says what that is, and
 * what it asked for and this uplink no longer does (an old address, IPv6 after
 * it was turned off) goes. Addresses, routes and neighbours that a VPN client,
 * NetworkManager or the user added stay, as with upstream's setup-ip.
 */
export function planGuestNetwork(uplink: Uplink, observed: NetState, previous?: Uplink): IpPlan {
  const link = observed.links.find((l) => l.mac === uplink.mac);
  if (!link) throw new InterfaceNotFoundError(uplink.mac);
  const dev = link.name;
  const ops: IpOp[] = [];
  // A previous uplink on another link was torn down there (planGuestTeardown); it owns nothing here.
  const owned = previous && previous.mac === uplink.mac ? previous : undefined;

  if (link.group !== UPLINK_GROUP) ops.push({ kind: 'link-group', dev, group: UPLINK_GROUP });
  if (uplink.mtu !== undefined && link.mtu !== uplink.mtu) ops.push({ kind: 'link-mtu', dev, mtu: uplink.mtu });

  const wantAddrs = ownAddresses(uplink);
  const ownedAddrs = owned ? ownAddresses(owned) : [];
  // Add before delete: removing a link's last IPv4 address makes the kernel flush its routes and
  // neighbours, including the permanent gateway entry this plan counts on keeping.
  for (const cidr of wantAddrs) if (!link.addresses.includes(cidr)) ops.push({ kind: 'addr-add', dev, cidr });
  for (const cidr of link.addresses) {
    if (!wantAddrs.includes(cidr) && ownedAddrs.includes(cidr)) ops.push({ kind: 'addr-del', dev, cidr });
  }

  const gateways = ownGateways(uplink);
  const ownedGateways = owned ? ownGateways(owned) : [];
  const neighbours = observed.neighbours.filter((n) => n.dev === dev && n.permanent);
  for (const n of neighbours) {
    if (!gateways.includes(n.ip) && ownedGateways.includes(n.ip)) ops.push({ kind: 'neigh-del', dev, ip: n.ip });
  }
  for (const ip of gateways) {
    if (!neighbours.some((n) => n.ip === ip && n.mac === NETVM_VIF_MAC)) {
      ops.push({ kind: 'neigh-permanent', dev, ip, mac: NETVM_VIF_MAC });
    }
  }

  if (!link.up) ops.push({ kind: 'link-up', dev });

  const routes = desiredRoutes(uplink);
  const ownedRoutes = owned ? desiredRoutes(owned) : [];
  const present = observed.routes.filter((r) => r.dev === dev && !r.kernel);
  for (const r of present) {
    const stale = !routes.some((want) => sameRoute(want, r)) && ownedRoutes.some((had) => sameRoute(had, r));
    if (stale) ops.push({ kind: 'route-del', dev, dst: r.dst, ...(r.via ? { via: r.via } : {}) });
  }
  for (const want of routes) {
    if (!present.some((r) => sameRoute(want, r))) ops.push({ kind: 'route-replace', dev, ...want });
  }
  return { ops: orderRouteDeletes(ops) };
}

/**
 * A stale route is deleted only when no replacement takes its destination:
 * `route replace` already overwrites it, and deleting first would leave a
 * moment without a default route.
 */
function orderRouteDeletes(ops: IpOp[]): IpOp[] {
  const replaced = new Set(ops.flatMap((op) => (op.kind === 'route-replace' ? [op.dst] : [])));
  return ops.filter((op) => op.kind !== 'route-del' || !replaced.has(op.dst));
}

/**
 * Desired sysctls of the guest's own link (the caller compares them with the
 * kernel's, planSysctls): none while the link does not exist, as the `ip`
 * plan then fails with InterfaceNotFoundError anyway.
 */
export function planGuestSysctls(uplink: Uplink, observed: NetState): SysctlOp[] {
  const link = observed.links.find((l) => l.mac === uplink.mac);
  return link ? [noDadSysctl(link.name)] : [];
}

/**
 * Undoes exactly what `previous` put on its link (addresses, gateway
 * neighbours, routes), for a qube that lost its uplink or moved to another
 * interface. Nothing else on the link is touched; a link that is gone needs
 * nothing.
 */
export function planGuestTeardown(previous: Uplink, observed: NetState): IpOp[] {
  const link = observed.links.find((l) => l.mac === previous.mac);
  if (!link) return [];
  const dev = link.name;
  const ops: IpOp[] = [];
  for (const want of desiredRoutes(previous)) {
    const have = observed.routes.find((r) => r.dev === dev && !r.kernel && sameRoute(want, r));
    if (have) ops.push({ kind: 'route-del', dev, dst: have.dst, ...(have.via ? { via: have.via } : {}) });
  }
  const gateways = ownGateways(previous);
  for (const n of observed.neighbours) {
    if (n.dev === dev && n.permanent && gateways.includes(n.ip)) ops.push({ kind: 'neigh-del', dev, ip: n.ip });
  }
  const addrs = ownAddresses(previous);
  for (const cidr of link.addresses) if (addrs.includes(cidr)) ops.push({ kind: 'addr-del', dev, cidr });
  return ops;
}

/**
 * The link of a qube whose NetworkManager owns it (the `network-manager`
 * service): NetworkManager adds the addresses and routes from the connection
 * profile (plan-nm-connection.ts), so here only what setup-ip still does
 * itself: group 1 and the gateways' permanent neighbours. The link is not
 * brought up, nor its addresses, routes or MTU touched.
 */
export function planManagedGuestNetwork(uplink: Uplink, observed: NetState): IpPlan {
  const link = observed.links.find((l) => l.mac === uplink.mac);
  if (!link) throw new InterfaceNotFoundError(uplink.mac);
  const dev = link.name;
  const ops: IpOp[] = [];
  if (link.group !== UPLINK_GROUP) ops.push({ kind: 'link-group', dev, group: UPLINK_GROUP });
  const neighbours = observed.neighbours.filter((n) => n.dev === dev && n.permanent);
  for (const ip of ownGateways(uplink)) {
    if (!neighbours.some((n) => n.ip === ip && n.mac === NETVM_VIF_MAC)) {
      ops.push({ kind: 'neigh-permanent', dev, ip, mac: NETVM_VIF_MAC });
    }
  }
  return { ops };
}

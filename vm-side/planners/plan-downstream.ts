import type { DownstreamClient, ProviderConfig } from '../../services/net-config';
import { CLIENT_IFGROUP } from './base-ruleset';
import type { IpOp } from './ip-plan';
import type { LinkState, NetState } from './net-state';
import type { AntispoofEntries } from './plan-base-ruleset';
import { noDadSysctl, type SysctlOp } from './sysctl-plan';

export interface DownstreamPlan {
  readonly ip: readonly IpOp[];
  /** Desired values; the caller compares them with the kernel's (planSysctls). */
  readonly sysctl: readonly SysctlOp[];
  readonly antispoof: { readonly ip: AntispoofEntries; readonly ip6: AntispoofEntries };
  /** Clients whose vif does not exist (yet): their antispoof entries are in place, their link is not touched. */
  readonly missingVifs: readonly string[];
  /** Clients that see another address than their real one, on an existing vif: plan-mapped-ip-nat.ts translates. */
  readonly mappedIp: readonly MappedClient[];
}

/** One client with `net.fake-ip`: its vif, real and visible addresses, and the gateway it was told and the real one. */
export interface MappedClient {
  readonly vif: string;
  readonly ip: string;
  readonly visibleIp: string;
  readonly gateway: string;
  readonly visibleGateway: string;
}

/** vif-route-qubes translates only when both visible values are known and the address differs. */
function mappedClient(provider: ProviderConfig, client: DownstreamClient): MappedClient | undefined {
  const { visibleIp, visibleGateway } = client;
  if (!visibleIp || !visibleGateway || visibleIp === client.ip) return undefined;
  return { vif: client.vif, ip: client.ip, visibleIp, gateway: provider.ip, visibleGateway };
}

const v6On = (provider: ProviderConfig, client: DownstreamClient) => provider.ipv6 && client.ip6 !== undefined;

/** The provider's own addresses on every vif: /32, and /128 when IPv6 is on (answered through proxy_ndp). */
function vifAddresses(provider: ProviderConfig): string[] {
  return [`${provider.ip}/32`, ...(provider.ipv6 && provider.ip6 ? [`${provider.ip6}/128`] : [])];
}

/** What qnet put on a vif for one client: the provider's own addresses and the client's host routes. */
interface VifOwnership {
  readonly addrs: readonly string[];
  readonly routes: readonly string[];
}

const NOTHING: VifOwnership = { addrs: [], routes: [] };

function ownership(provider: ProviderConfig, client: DownstreamClient): VifOwnership {
  return {
    addrs: vifAddresses(provider),
    routes: [`${client.ip}/32`, ...(v6On(provider, client) ? [`${client.ip6}/128`] : [])],
  };
}

/**
 * Removes what qnet installed on a vif (`owned`, from the document applied
 * before) and no longer wants; whatever else is there (a user's route, an
 * address another tool added) stays.
 */
function planStale(link: LinkState, observed: NetState, want: VifOwnership, owned: VifOwnership): IpOp[] {
  const dev = link.name;
  const stale = (wanted: readonly string[], had: readonly string[], v: string) =>
    !wanted.includes(v) && had.includes(v);
  // Routes first: deleting the last address flushes them, and a route-del after that would fail the batch.
  const ops: IpOp[] = observed.routes
    .filter((r) => r.dev === dev && !r.kernel && !r.via && stale(want.routes, owned.routes, r.dst))
    .map((r) => ({ kind: 'route-del', dev, dst: r.dst }));
  for (const cidr of link.addresses) {
    if (stale(want.addrs, owned.addrs, cidr)) ops.push({ kind: 'addr-del', dev, cidr });
  }
  return ops;
}

function planClient(
  provider: ProviderConfig,
  client: DownstreamClient,
  link: LinkState,
  observed: NetState,
  owned: VifOwnership,
): IpOp[] {
  const dev = link.name;
  const want = ownership(provider, client);
  const { addrs, routes } = want;
  const ops: IpOp[] = [];
  if (link.group !== CLIENT_IFGROUP) ops.push({ kind: 'link-group', dev, group: CLIENT_IFGROUP });
  // Add before delete, as for the guest: losing the last address flushes the vif's routes.
  for (const cidr of addrs) if (!link.addresses.includes(cidr)) ops.push({ kind: 'addr-add', dev, cidr });
  ops.push(...planStale(link, observed, want, owned));
  if (!link.up) ops.push({ kind: 'link-up', dev });
  for (const dst of routes) {
    const present = observed.routes.some((r) => r.dev === dev && r.dst === dst && !r.via && !r.kernel);
    if (!present) ops.push({ kind: 'route-replace', dev, dst });
  }
  return ops;
}

/**
 * A network-providing qube's side of its clients (DESIGN.md section 3): per
 * client, the antispoof entries, group 2, its own address on the vif, the
 * host route, proxy ARP/NDP, no duplicate address detection; forwarding on. A vif of a client that left
 * (named in `previous`, the document applied before) loses what qnet put on it
 * and only that; a group-2 vif no document named (a client still being set
 * up) is not touched. A departed client's antispoof entries go with the set
 * update, so whatever its vif still sends is dropped.
 */
export function planDownstream(
  provider: ProviderConfig,
  observed: NetState,
  previous?: ProviderConfig,
): DownstreamPlan {
  const byName = new Map(observed.links.map((l) => [l.name, l]));
  const before = new Map((previous?.clients ?? []).map((c) => [c.vif, ownership(previous as ProviderConfig, c)]));
  const ownedOn = (vif: string) => before.get(vif) ?? NOTHING;
  const ip: IpOp[] = [];
  const missingVifs: string[] = [];
  const mappedIp: MappedClient[] = [];
  const sysctl: SysctlOp[] = [
    { key: 'net/ipv4/ip_forward', value: '1' },
    provider.ipv6
      ? { key: 'net/ipv6/conf/all/forwarding', value: '1' }
      : { key: 'net/ipv6/conf/all/forwarding', value: '0', ifPresent: true },
  ];
  for (const client of provider.clients) {
    const link = byName.get(client.vif);
    if (!link) {
      missingVifs.push(client.vif);
      continue;
    }
    ip.push(...planClient(provider, client, link, observed, ownedOn(client.vif)));
    const mapped = mappedClient(provider, client);
    if (mapped) mappedIp.push(mapped);
    sysctl.push(noDadSysctl(client.vif), { key: `net/ipv4/conf/${client.vif}/proxy_arp`, value: '1' });
    if (provider.ipv6) sysctl.push({ key: `net/ipv6/conf/${client.vif}/proxy_ndp`, value: '1' });
  }
  const claimed = new Set(provider.clients.map((c) => c.vif));
  for (const [vif, owned] of before) {
    const link = byName.get(vif);
    if (link && !claimed.has(vif)) ip.push(...planStale(link, observed, NOTHING, owned));
  }
  const clients6 = provider.clients.filter((c) => v6On(provider, c));
  return {
    ip,
    sysctl,
    missingVifs,
    mappedIp,
    antispoof: {
      ip: {
        allowed: provider.clients.map((c) => ({ dev: c.vif, ip: c.ip })),
        downstream: provider.clients.map((c) => c.ip),
      },
      ip6: {
        allowed: clients6.map((c) => ({ dev: c.vif, ip: c.ip6 as string })),
        downstream: clients6.map((c) => c.ip6 as string),
      },
    },
  };
}

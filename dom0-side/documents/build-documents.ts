import { HOST_NETMASK, VIRTUAL_DNS, type DownstreamClient } from '../../services/net-config';
import { canonicalJson } from './canonical-json';
import {
  DNS_UPDATE,
  FIREWALL_SYNC,
  NET_CONFIG,
  type DnsUpdateBody,
  type FirewallSyncBody,
  type NetConfigBody,
  type QubeDocument,
} from './document-types';
import type { QubeNetwork } from './qube-network';

/**
 * The provider's end of a client's link, as Xen names it: `vif<domid>.0`,
 * the client's domain id (not its qid), which changes at every start.
 */
export function vifName(xid: number): string {
  return `vif${xid}.0`;
}

export interface DocumentContext {
  readonly network: ReadonlyMap<string, QubeNetwork>;
  readonly clients: ReadonlyMap<string, readonly QubeNetwork[]>;
}

type ConnectedClient = QubeNetwork & { readonly xid: number };

/**
 * Only running clients with a domain id: a provider configures the vif of a
 * client that is up (Qubes's netvm side sees vifs of running qubes only), so
 * a start, a stop or a restart under a new xid changes the provider's documents.
 */
function connectedClients(ctx: DocumentContext, provider: string): readonly ConnectedClient[] {
  return (ctx.clients.get(provider) ?? []).filter((c): c is ConnectedClient => c.running && c.xid !== undefined);
}

const withIp6 = (q: QubeNetwork) => (q.ip6 !== undefined ? { ip6: q.ip6 } : {});

/** Qubes's visible_ip: the `net.fake-ip` feature, else the real address. A provider offers it as its clients' gateway. */
const visibleIp = (q: QubeNetwork) => q.guest.fakeIp ?? q.ip;

/** Qubes's visible_gateway: the `net.fake-gateway` feature, else the netvm's `gateway` (its visible_ip). */
const visibleGateway = (q: QubeNetwork, netvm: QubeNetwork) => q.guest.fakeGateway ?? visibleIp(netvm);

/** The uplink's optional parts that come from the qube's features (absent when off, so old documents stay equal). */
function guestOptions(q: QubeNetwork) {
  const g = q.guest;
  return {
    ...(g.mtu !== undefined ? { mtu: g.mtu } : {}),
    ...(g.disableDefaultRoute ? { disableDefaultRoute: true as const } : {}),
    ...(g.disableDnsServer ? { disableDnsServer: true as const } : {}),
    ...(g.networkManager ? { networkManager: true as const } : {}),
  };
}

/**
 * The mapped-ip entry of a client (vif-route-qubes): only when the client
 * sees another address than its real one does its provider translate.
 */
function mappedIp(c: QubeNetwork, provider: QubeNetwork): Pick<DownstreamClient, 'visibleIp' | 'visibleGateway'> {
  const seen = visibleIp(c);
  return seen === c.ip ? {} : { visibleIp: seen, visibleGateway: visibleGateway(c, provider) };
}

function netConfigBody(q: QubeNetwork, ctx: DocumentContext): NetConfigBody {
  const body: NetConfigBody = { qube: q.name };
  const netvm = q.netvm === null ? undefined : ctx.network.get(q.netvm);
  if (netvm) {
    body.uplink = {
      mac: q.mac,
      // What the qube sees: with net.fake-* its real address stays with its provider.
      ip: visibleIp(q),
      netmask: q.guest.fakeNetmask ?? HOST_NETMASK,
      gateway: visibleGateway(q, netvm),
      dns: [VIRTUAL_DNS[0], VIRTUAL_DNS[1]],
      ...withIp6(q),
      ...(netvm.ip6 !== undefined ? { gateway6: netvm.ip6 } : {}),
      ...guestOptions(q),
    };
  }
  if (q.providesNetwork) {
    body.provider = {
      // Qubes's `gateway` of a netvm is its visible_ip: a provider with net.fake-ip offers that address.
      ip: visibleIp(q),
      ...withIp6(q),
      ipv6: q.ipv6,
      clients: connectedClients(ctx, q.name).map((c) => ({
        name: c.name,
        ip: c.ip,
        ...withIp6(c),
        vif: vifName(c.xid),
        ...mappedIp(c, q),
      })),
    };
  }
  return body;
}

function firewallSyncBody(q: QubeNetwork, ctx: DocumentContext): FirewallSyncBody {
  return {
    clients: connectedClients(ctx, q.name).map((c) => ({
      name: c.name,
      ip: c.ip,
      ...withIp6(c),
      dns: [...VIRTUAL_DNS],
      rules: [...c.rules],
    })),
  };
}

/**
 * Every document dom0 holds for one qube: its NetConfig always (halted qubes
 * too, for their boot-time pull); for a provider its FirewallSync, and its
 * DnsUpdate when it has a netvm (it forwards to DNS1/DNS2 again). A root
 * provider learns its upstream servers itself, so dom0 has none for it.
 */
export function buildQubeDocuments(q: QubeNetwork, ctx: DocumentContext): QubeDocument[] {
  const netConfig = netConfigBody(q, ctx);
  const docs: QubeDocument[] = [
    { qube: q.name, service: NET_CONFIG, body: netConfig, canonical: canonicalJson(netConfig) },
  ];
  if (q.providesNetwork) {
    const firewall = firewallSyncBody(q, ctx);
    docs.push({ qube: q.name, service: FIREWALL_SYNC, body: firewall, canonical: canonicalJson(firewall) });
    if (q.netvm !== null) {
      const dns: DnsUpdateBody = { upstream: [...VIRTUAL_DNS] };
      docs.push({ qube: q.name, service: DNS_UPDATE, body: dns, canonical: canonicalJson(dns) });
    }
  }
  return docs;
}

import { z } from 'zod';
import { defineService } from '../shared/contract/define-service';
import { AppliedGeneration, Generation } from './schemas/generation';
import { Ipv4, Ipv6 } from './schemas/ip-address';
import { InterfaceName } from './schemas/interface-name';
import { MacAddress } from './schemas/mac-address';
import { QubeName } from './schemas/qube-name';
import { netmaskPrefix } from '../shared/net/ipv4-netmask';

/** Routing is by host routes, never by a shared subnet: the netmask is always /32. */
export const HOST_NETMASK = '255.255.255.255';
/** The virtual DNS servers every networked qube is told about; providers DNAT them upstream. */
export const VIRTUAL_DNS: readonly [string, string] = ['10.139.1.1', '10.139.1.2'];

/**
 * A dotted-quad netmask with contiguous one bits. Routing is by /32 unless the
 * `net.fake-netmask` feature gives the qube a wider view of its subnet.
 */
export const Netmask = z
  .string()
  .max(15)
  .refine((m) => netmaskPrefix(m) !== undefined, 'expected a contiguous IPv4 netmask such as 255.255.255.0');

/**
 * A qube's own link to its netvm. `ip`, `netmask` and `gateway` are what the
 * qube sees (Qubes's visible_ip, visible_netmask, visible_gateway): with the
 * `net.fake-*` features they differ from the real ones, which only its
 * provider learns (DownstreamClient.visibleIp), never the qube itself.
 */
export const Uplink = z.strictObject({
  /** The guest picks its interface by this MAC, not by name. */
  mac: MacAddress,
  ip: Ipv4,
  netmask: Netmask,
  gateway: Ipv4,
  dns: z.tuple([Ipv4, Ipv4]),
  /** Present only when IPv6 is on for this qube. */
  ip6: Ipv6.optional(),
  /** Present only when IPv6 is on for the netvm itself. */
  gateway6: Ipv6.optional(),
  /** From the qube's `vm-config.net-mtu` feature; absent leaves the link's MTU as it is. */
  mtu: z.number().int().min(576).max(65535).optional(),
  /** The qube's `disable-default-route` service: no default route is installed (only the gateway's host route). */
  disableDefaultRoute: z.literal(true).optional(),
  /** The qube's `disable-dns-server` service: no DNS server is configured (resolv.conf is emptied). */
  disableDnsServer: z.literal(true).optional(),
  /**
   * The qube's `network-manager` service: its NetworkManager owns eth0, so the
   * agent writes the connection profile instead of configuring the link.
   */
  networkManager: z.literal(true).optional(),
});
export type Uplink = z.infer<typeof Uplink>;

/** One row of a network-providing qube's downstream table. */
export const DownstreamClient = z.strictObject({
  name: QubeName,
  ip: Ipv4,
  ip6: Ipv6.optional(),
  /** The provider's end of the link (`vifN.0` under Xen). */
  vif: InterfaceName,
  /**
   * The client's `net.fake-ip`: the address it believes it has. The provider
   * translates it to and from `ip` on this vif (Qubes's /mapped-ip/IP/visible-ip).
   */
  visibleIp: Ipv4.optional(),
  /** The gateway that client was told (`net.fake-gateway`, else this provider's address). */
  visibleGateway: Ipv4.optional(),
});
export type DownstreamClient = z.infer<typeof DownstreamClient>;

export const ProviderConfig = z
  .strictObject({
    /** The provider's own address, put on every vif as /32 and used as the clients' gateway. */
    ip: Ipv4,
    ip6: Ipv6.optional(),
    /** IPv6 forwarding and the `ip6 qubes` table exist only when this is true. */
    ipv6: z.boolean(),
    clients: z.array(DownstreamClient).max(2048),
  })
  .superRefine((cfg, ctx) => {
    const seen = { name: new Set<string>(), ip: new Set<string>(), vif: new Set<string>() };
    cfg.clients.forEach((client, i) => {
      for (const key of ['name', 'ip', 'vif'] as const) {
        if (seen[key].has(client[key])) {
          ctx.addIssue({ code: 'custom', path: ['clients', i, key], message: `duplicate client ${key}` });
        }
        seen[key].add(client[key]);
      }
    });
  });
export type ProviderConfig = z.infer<typeof ProviderConfig>;

/** Everything one qube must hold of its network, as dom0 computed it. */
export const NetConfigDocument = z.strictObject({
  generation: Generation,
  qube: QubeName,
  /** Absent for a qube without a netvm (sys-net's physical uplink is not dom0's to manage). */
  uplink: Uplink.optional(),
  /** Present only for a network-providing qube. */
  provider: ProviderConfig.optional(),
});
export type NetConfigDocument = z.infer<typeof NetConfigDocument>;

/** dom0 → qube: apply this document. Served by qnet-agent. */
export const NetConfig = defineService({
  name: 'qubes.NetConfig',
  summary: "push a qube's own network configuration (and a provider's client table)",
  request: NetConfigDocument,
  response: AppliedGeneration,
  maxRequestBytes: 256 * 1024,
  // Addresses, routes, sysctls and the provider's nftables: only root may change them.
  runAs: 'root',
});

/**
 * qube → dom0: give me my configuration (boot-time pull). The request is empty
 * on purpose: whose document is returned follows from the qrexec source alone.
 */
export const NetConfigPull = defineService({
  name: 'qubes.NetConfig',
  summary: "pull the calling qube's own network configuration from dom0",
  request: z.strictObject({}),
  response: NetConfigDocument,
  maxRequestBytes: 64,
  maxResponseBytes: 512 * 1024,
});

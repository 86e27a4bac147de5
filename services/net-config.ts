import { z } from 'zod';
import { defineService } from '../shared/contract/define-service';
import { AppliedGeneration, Generation } from './schemas/generation';
import { Ipv4, Ipv6 } from './schemas/ip-address';
import { InterfaceName } from './schemas/interface-name';
import { MacAddress } from './schemas/mac-address';
import { QubeName } from './schemas/qube-name';

/** Routing is by host routes, never by a shared subnet: the netmask is always /32. */
export const HOST_NETMASK = '255.255.255.255';
/** The virtual DNS servers every networked qube is told about; providers DNAT them upstream. */
export const VIRTUAL_DNS: readonly [string, string] = ['10.139.1.1', '10.139.1.2'];

/** A qube's own link to its netvm. */
export const Uplink = z.strictObject({
  /** The guest picks its interface by this MAC, not by name. */
  mac: MacAddress,
  ip: Ipv4,
  netmask: z.literal(HOST_NETMASK),
  gateway: Ipv4,
  dns: z.tuple([Ipv4, Ipv4]),
  /** Present only when IPv6 is on for this qube. */
  ip6: Ipv6.optional(),
  /** Present only when IPv6 is on for the netvm itself. */
  gateway6: Ipv6.optional(),
  mtu: z.number().int().min(576).max(65535).optional(),
});
export type Uplink = z.infer<typeof Uplink>;

/** One row of a network-providing qube's downstream table. */
export const DownstreamClient = z.strictObject({
  name: QubeName,
  ip: Ipv4,
  ip6: Ipv6.optional(),
  /** The provider's end of the link (`vifN.0` under Xen). */
  vif: InterfaceName,
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

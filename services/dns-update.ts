import { z } from 'zod';
import { defineService } from '../shared/contract/define-service';
import { AppliedGeneration, Generation } from './schemas/generation';
import { IpAddress } from './schemas/ip-address';

export const DnsUpdateDocument = z.strictObject({
  generation: Generation,
  /**
   * The provider's real upstream servers, in preference order. DNS1 maps to
   * the first IPv4 one and DNS2 to the second (or the first again); none means
   * queries to the virtual addresses are dropped.
   */
  upstream: z.array(IpAddress).max(16),
});
export type DnsUpdateDocument = z.infer<typeof DnsUpdateDocument>;

/**
 * The agent's answer. `localOverride` is present when the qube's own DNS
 * override (`qnet-agent dns-update` in the qube, e.g. a VPN client) is in
 * force instead of the document just taken: the document is held, and takes
 * effect as soon as the override is cleared.
 */
export const DnsUpdateReply = AppliedGeneration.extend({
  localOverride: z.array(IpAddress).max(16).optional(),
});
export type DnsUpdateReply = z.infer<typeof DnsUpdateReply>;

export const DnsUpdate = defineService({
  name: 'qubes.DnsUpdate',
  summary: 'tell a network-providing qube which upstream DNS servers DNS1/DNS2 translate to',
  request: DnsUpdateDocument,
  response: DnsUpdateReply,
  maxRequestBytes: 4 * 1024,
  // The DNAT rules of the provider's nftables: only root may change them.
  runAs: 'root',
});

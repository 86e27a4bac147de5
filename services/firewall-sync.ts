import { z } from 'zod';
import { defineService } from '../shared/contract/define-service';
import { FirewallRule } from './schemas/firewall-rule';
import { Generation } from './schemas/generation';
import { Ipv4, Ipv6 } from './schemas/ip-address';
import { QubeName } from './schemas/qube-name';

export const ClientFirewall = z.strictObject({
  name: QubeName,
  ip: Ipv4,
  ip6: Ipv6.optional(),
  /** The DNS addresses this client uses, for `specialtarget=dns`. */
  dns: z.array(Ipv4).max(4),
  /** In order; the first match decides, and the chain's default is drop. */
  rules: z.array(FirewallRule).max(1024),
});
export type ClientFirewall = z.infer<typeof ClientFirewall>;

export const FirewallSyncDocument = z
  .strictObject({
    generation: Generation,
    /** Every client of this provider; a client missing here has its chains deleted. */
    clients: z.array(ClientFirewall).max(2048),
  })
  .superRefine((doc, ctx) => {
    const seen = new Set<string>();
    doc.clients.forEach((c, i) => {
      if (seen.has(c.ip)) ctx.addIssue({ code: 'custom', path: ['clients', i, 'ip'], message: 'duplicate client ip' });
      seen.add(c.ip);
    });
  });
export type FirewallSyncDocument = z.infer<typeof FirewallSyncDocument>;

/** A rule that could not be put in place; its traffic is dropped (fail closed) until it can. */
export const RuleFailure = z.strictObject({
  client: QubeName,
  rule: z.number().int().nonnegative().optional(),
  message: z.string().max(512),
});

export const FirewallSync = defineService({
  name: 'qubes.FirewallSync',
  summary: 'install the firewall rules of every client of a network-providing qube',
  request: FirewallSyncDocument,
  response: z.strictObject({ appliedGeneration: Generation, failures: z.array(RuleFailure).max(4096) }),
  // 2048 clients × many rules: the largest document qnet sends. Still capped.
  maxRequestBytes: 8 * 1024 * 1024,
  // The provider's nftables: only root may change them.
  runAs: 'root',
});

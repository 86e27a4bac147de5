import { z } from 'zod';
import { Ipv4Cidr, Ipv6Cidr } from './ip-address';

export const DNS_NAME_RE =
  /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/;
/** Lower-case DNS name; never an address (those travel as dst4/dst6). */
export const DnsName = z
  .string()
  .max(253)
  .regex(DNS_NAME_RE, 'expected a lower-case DNS name')
  .refine((name) => !/^[0-9.]+$/.test(name), 'expected a DNS name, not a number');

export const PortRange = z
  .strictObject({ from: z.number().int().min(0).max(65535), to: z.number().int().min(0).max(65535) })
  .refine((r) => r.from <= r.to, 'port range start is after its end');

/** Printable ASCII: comments end up in nft rule comments and terminals. */
export const RuleComment = z
  .string()
  .max(256)
  .regex(/^[\x20-\x7e]*$/, 'comment has characters outside printable ASCII');

/**
 * One `qvm-firewall` rule as dom0 sends it. The fields and their pairings are
 * Qubes's: ports only with tcp/udp, icmptype only with icmp, one destination.
 */
export const FirewallRule = z
  .strictObject({
    action: z.enum(['accept', 'drop']),
    proto: z.enum(['tcp', 'udp', 'icmp']).optional(),
    dst4: Ipv4Cidr.optional(),
    dst6: Ipv6Cidr.optional(),
    dsthost: DnsName.optional(),
    dstports: PortRange.optional(),
    icmptype: z.number().int().min(0).max(255).optional(),
    specialtarget: z.literal('dns').optional(),
    expire: z
      .number()
      .int()
      .min(0)
      .max(2 ** 40)
      .optional(),
    comment: RuleComment.optional(),
  })
  .superRefine((rule, ctx) => {
    const dests = [rule.dst4, rule.dst6, rule.dsthost, rule.specialtarget].filter((d) => d !== undefined);
    if (dests.length > 1) ctx.addIssue({ code: 'custom', message: 'a rule has at most one destination' });
    if (rule.dstports && rule.proto !== 'tcp' && rule.proto !== 'udp') {
      ctx.addIssue({ code: 'custom', path: ['dstports'], message: 'dstports needs proto tcp or udp' });
    }
    if (rule.icmptype !== undefined && rule.proto !== 'icmp') {
      ctx.addIssue({ code: 'custom', path: ['icmptype'], message: 'icmptype needs proto icmp' });
    }
  });
export type FirewallRule = z.infer<typeof FirewallRule>;

import { z } from 'zod';
import { isIpv4, isIpv4Cidr } from '../../shared/net/ipv4';
import { canonicalIpv6, isIpv6, isIpv6Cidr, parseIpv6Groups } from '../../shared/net/ipv6';

// Strict literals only: nft resolves any other string as a host name, so a
// lenient schema here would let a peer make a netvm do DNS lookups.
export const Ipv4 = z.string().max(15).refine(isIpv4, 'expected an IPv4 address');
export type Ipv4 = z.infer<typeof Ipv4>;

/** Accepts any literal spelling; yields the RFC 5952 form so comparisons are textual. */
export const Ipv6 = z.string().max(45).refine(isIpv6, 'expected an IPv6 address').transform(canonicalIpv6);
export type Ipv6 = z.infer<typeof Ipv6>;

export const Ipv4Cidr = z.string().max(18).refine(isIpv4Cidr, 'expected an IPv4 network a.b.c.d/len');
export const Ipv6Cidr = z
  .string()
  .max(49)
  .refine(isIpv6Cidr, 'expected an IPv6 network addr/len')
  .transform((cidr) => {
    const [addr, len] = cidr.split('/');
    return `${canonicalIpv6(addr)}/${len}`;
  });

export const IpAddress = z.union([Ipv4, Ipv6]);
export type IpAddress = z.infer<typeof IpAddress>;

/**
 * Why an address cannot be a qube's own: qubesd takes any literal, but a
 * qube given 0.0.0.0, a broadcast, multicast, loopback or reserved address
 * would sit in every provider's antispoof set and routing table as if it were
 * a host. Returns undefined for a usable unicast host address.
 */
export function unusableHostIpv4(ip: string): string | undefined {
  if (!isIpv4(ip)) return 'is not an IPv4 address';
  const first = Number(ip.split('.')[0]);
  if (first === 0) return 'is in 0.0.0.0/8 ("this network")';
  if (first === 127) return 'is a loopback address';
  if (first >= 224 && first <= 239) return 'is a multicast address';
  if (first >= 240) return 'is reserved or the broadcast address';
  return undefined;
}

export function unusableHostIpv6(ip: string): string | undefined {
  const groups = parseIpv6Groups(ip);
  if (!groups) return 'is not an IPv6 address';
  if (groups.every((g) => g === 0)) return 'is the unspecified address';
  if (groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1) return 'is the loopback address';
  if (groups[0] >> 8 === 0xff) return 'is a multicast address';
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return 'is an IPv4-mapped address';
  return undefined;
}

/** A qube's own address, as the admin API takes it (see unusableHostIpv4). */
export const HostIpv4 = z
  .string()
  .max(15)
  .superRefine((ip, ctx) => {
    const why = unusableHostIpv4(ip);
    if (why) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(ip)} ${why}` });
  });
export const HostIpv6 = z
  .string()
  .max(45)
  .superRefine((ip, ctx) => {
    const why = unusableHostIpv6(ip);
    if (why) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(ip)} ${why}` });
  });

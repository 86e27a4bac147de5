import { z } from 'zod';
import { isIpv4, isIpv4Cidr } from '../../shared/net/ipv4';
import { canonicalIpv6, isIpv6, isIpv6Cidr } from '../../shared/net/ipv6';

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

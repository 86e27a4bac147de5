import { VIRTUAL_DNS } from '../../services/net-config';
import { quote } from '../../shared/errors/qnet-error';
import { isIpv4 } from '../../shared/net/ipv4';
import { canonicalIpv6, isIpv6 } from '../../shared/net/ipv6';
import type { Qube } from './qube';

/** Every provider DNATs these; a qube holding one could not reach DNS. */
const RESERVED_IPV4 = new Set<string>(VIRTUAL_DNS);

/** Overrides must be literal addresses: they end up in nft sets and routes. Returns the problem, if any. */
export function checkAddressOverride(q: Pick<Qube, 'ip' | 'ip6'>): string | undefined {
  if (q.ip !== undefined && (typeof q.ip !== 'string' || !isIpv4(q.ip)))
    return `ip ${quote(q.ip)} is not an IPv4 address`;
  if (q.ip !== undefined && RESERVED_IPV4.has(q.ip)) return `ip ${q.ip} is a virtual DNS address`;
  if (q.ip6 !== undefined && (typeof q.ip6 !== 'string' || !isIpv6(q.ip6))) {
    return `ip6 ${quote(q.ip6)} is not an IPv6 address`;
  }
  return undefined;
}

/** The record with its ip6 override in RFC 5952 form, so equal addresses compare equal as text. */
export function withCanonicalIp6(q: Qube): Qube {
  if (q.ip6 === undefined) return q;
  const ip6 = canonicalIpv6(q.ip6);
  return ip6 === q.ip6 ? q : { ...q, ip6 };
}

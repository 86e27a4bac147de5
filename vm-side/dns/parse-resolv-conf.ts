import { isIpv4 } from '../../shared/net/ipv4';
import { canonicalIpv6, isIpv6 } from '../../shared/net/ipv6';

/** Loopback stubs (systemd-resolved's 127.0.0.53, a local dnsmasq) are not upstream servers. */
export const isLoopback = (ip: string): boolean => ip.startsWith('127.') || ip === '::1';

/**
 * The `nameserver` lines of a resolv.conf, in order, as literal addresses
 * (a scoped IPv6 address `fe80::1%eth0` keeps no scope: DNAT cannot use it).
 * Anything else in the file is ignored; the file is local but user-editable.
 */
export function parseResolvConf(untrustedText: string): string[] {
  const servers: string[] = [];
  for (const line of untrustedText.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (!m) continue;
    const addr = m[1];
    if (isIpv4(addr)) servers.push(addr);
    else if (isIpv6(addr)) servers.push(canonicalIpv6(addr));
  }
  return [...new Set(servers)].slice(0, 16);
}

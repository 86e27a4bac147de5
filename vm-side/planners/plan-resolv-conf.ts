import type { Uplink } from '../../services/net-config';

export interface ResolvConfState {
  /** undefined when the file does not exist. */
  readonly content: string | undefined;
  /** Listed in /etc/qubes/protected-files.d or /rw/config/protected-files.d: the user keeps it. */
  readonly protected: boolean;
}

/**
 * With the qube's `disable-dns-server` service setup-ip leaves resolv.conf
 * holding one empty line: no server at all, rather than a stale one.
 */
export function resolvConfContent(uplink: Pick<Uplink, 'dns' | 'disableDnsServer'>): string {
  if (uplink.disableDnsServer) return '\n';
  return uplink.dns.map((ip) => `nameserver ${ip}\n`).join('');
}

/** The content to write, or undefined when the file is protected or already right. */
export function planResolvConf(
  uplink: Pick<Uplink, 'dns' | 'disableDnsServer'>,
  observed: ResolvConfState,
): string | undefined {
  if (observed.protected) return undefined;
  const want = resolvConfContent(uplink);
  return observed.content === want ? undefined : want;
}

/** Qubes's rule: a protected-files.d file lists protected paths, one whole line each. */
export function isProtectedPath(path: string, untrustedListings: readonly string[]): boolean {
  return untrustedListings.some((text) => text.split('\n').some((line) => line.trim() === path));
}

/** Package managers' leftovers and editor backups are not listings (is_protected_file's grep excludes them). */
export function isProtectedListingName(name: string): boolean {
  return !/(\.rpmsave|~|\.rpmnew|\.rpmold)$/.test(name);
}

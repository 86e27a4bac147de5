import { token } from '../../shared/di/token';

/** One family's DNS answer: addresses with the smallest record TTL (seconds), or why there is none. */
export type FamilyLookup =
  | { readonly addresses: readonly string[]; readonly ttl: number }
  /** NODATA: the name exists but has no record of this family. Not an error. */
  | { readonly addresses: readonly []; readonly ttl?: undefined }
  | { readonly error: string };

export interface HostLookup {
  readonly ip: FamilyLookup;
  readonly ip6: FamilyLookup;
}

/** Resolves `dsthost` names in the provider, as Qubes does; a seam so tests never touch real DNS. */
export interface HostResolver {
  resolve(name: string): Promise<HostLookup>;
}
export const HostResolver = token<HostResolver>('HostResolver');

export interface HostResolverOptions {
  /** `ip` or `ip:port` of the servers to ask; the system's when absent (the simulator points at its own dnsmasq). */
  readonly servers?: readonly string[];
  /**
   * Without `servers`: ask the nameservers of this resolv.conf, read again
   * before each lookup. The agent manages that file (DNS1/DNS2), so a
   * provider resolves `dsthost` through its own uplink, as Qubes does.
   */
  readonly resolvConf?: string;
  readonly timeoutMs?: number;
  readonly tries?: number;
}
export const HostResolverOptions = token<HostResolverOptions>('HostResolverOptions');

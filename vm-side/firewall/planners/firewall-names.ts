import type { Family } from './firewall-model';

/** Both families use one table name, as Qubes does; `ip qubes`/`ip6 qubes` belong to the base ruleset. */
export const FIREWALL_TABLE = 'qubes-firewall';
export const FORWARD_CHAIN = 'forward';
/** Verdict map from client source address to its chain: one lookup, and one element per client to change. */
export const CLIENTS_MAP = 'clients';
export const CLIENT_CHAIN_PREFIX = 'qbs-';
/** Interface group of client vifs (section 3: clients in group 2, uplink in group 1). */
export const CLIENT_IFGROUP = 2;

/** Qubes's naming, so an operator recognises the chains: `qbs-10-137-0-5`, `qbs-fd09-24ef-4179--a89-5`. */
export function clientChainName(address: string): string {
  return CLIENT_CHAIN_PREFIX + address.replace(/[.:]/g, '-');
}

/**
 * A client address's rules live in revision chains `qbs-10-137-0-5-r3`; the
 * address's own chain only holds a `goto` to the live revision. `r` is no
 * hex digit, so the suffix cannot be mistaken for part of an IPv6 address.
 */
export function revisionChainName(address: string, revision: number): string {
  return `${clientChainName(address)}-r${revision}`;
}

export function mapKeyType(family: Family): string {
  return family === 'ip' ? 'ipv4_addr' : 'ipv6_addr';
}

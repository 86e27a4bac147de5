import type { Uplink } from '../../services/net-config';

/** systemd-resolved as the agent sees it: whether it runs here, and the DNS servers it holds for the uplink. */
export interface ResolvedState {
  /** setup-ip's test: `resolvectl` is there and `systemctl is-enabled systemd-resolved.service` succeeds. */
  readonly active: boolean;
  /** Per-link servers (`resolvectl dns DEV`), in order; empty when none or not active. */
  readonly servers: readonly string[];
}

export const RESOLVED_INACTIVE: ResolvedState = { active: false, servers: [] };

export type ResolvedOp =
  | { readonly kind: 'set-dns'; readonly dev: string; readonly servers: readonly string[] }
  | { readonly kind: 'revert'; readonly dev: string };

/**
 * Where systemd-resolved runs, the uplink's servers are given to it per link
 * (`resolvectl dns DEV DNS1 DNS2`), besides resolv.conf, as setup-ip does:
 * resolved's stub listener ignores resolv.conf. With `disable-dns-server`
 * setup-ip sets nothing; servers qnet set before (`previous`) are reverted,
 * so turning the service on at run time takes effect without a reboot.
 */
export function planResolvedDns(
  uplink: Uplink,
  dev: string,
  observed: ResolvedState,
  previous?: Uplink,
): ResolvedOp | undefined {
  if (!observed.active) return undefined;
  if (uplink.disableDnsServer) {
    const ours = previous && !previous.disableDnsServer && sameList(observed.servers, previous.dns);
    return ours ? { kind: 'revert', dev } : undefined;
  }
  return sameList(observed.servers, uplink.dns) ? undefined : { kind: 'set-dns', dev, servers: [...uplink.dns] };
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((v, i) => v === b[i]);

export function describeResolvedOp(op: ResolvedOp): string {
  return op.kind === 'set-dns' ? `resolvectl dns ${op.dev} ${op.servers.join(' ')}` : `resolvectl revert ${op.dev}`;
}

/**
 * `resolvectl dns DEV` prints `Link N (DEV): a b …` (servers may carry
 * `:port`, `%ifname` or `#name` suffixes, which are kept as printed).
 */
export function parseResolvectlDns(untrustedOutput: string): string[] {
  const line = untrustedOutput.split('\n').find((l) => /^Link \d+ \(/.test(l));
  if (!line) return [];
  const colon = line.indexOf('):');
  return colon < 0
    ? []
    : line
        .slice(colon + 2)
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .slice(0, 64);
}

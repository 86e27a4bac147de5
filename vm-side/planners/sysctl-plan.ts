/** A sysctl by its /proc/sys path (`net/ipv4/conf/vif3.0/proxy_arp`): slashes, because names like vif3.0 hold dots. */
export interface SysctlOp {
  readonly key: string;
  readonly value: string;
  /** Skip when the kernel has no such key (e.g. turning IPv6 forwarding off in a kernel without IPv6). */
  readonly ifPresent?: boolean;
}

/**
 * No duplicate address detection on a link qnet configures. dom0 hands out
 * every address, so there is nothing to detect, and while a fresh link's
 * link-local address is tentative the kernel sends no neighbour solicitation
 * from it: IPv6 through a newly plugged vif stalls for one to three seconds.
 * accept_dad, not dad_transmits: with zero transmits the kernel still holds
 * the address tentative for a random delay of up to rtr_solicit_delay, and
 * DAD runs when either this link's or `all`'s accept_dad is above 0 (`all`
 * is 0 by default). Set before the link comes up, so its link-local address
 * is born usable. ifPresent: a kernel without IPv6 has no such key.
 */
export function noDadSysctl(dev: string): SysctlOp {
  return { key: `net/ipv6/conf/${dev}/accept_dad`, value: '0', ifPresent: true };
}

export function describeSysctlOp(op: SysctlOp): string {
  return `sysctl ${op.key}=${op.value}`;
}

/** Only the keys whose observed value differs; an unreadable key (undefined) is written. */
export function planSysctls(
  desired: readonly SysctlOp[],
  observed: ReadonlyMap<string, string | undefined>,
): SysctlOp[] {
  return desired.filter((op) => {
    const have = observed.get(op.key);
    return have !== op.value && !(op.ifPresent && have === undefined);
  });
}

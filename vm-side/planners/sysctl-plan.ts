/** A sysctl by its /proc/sys path (`net/ipv4/conf/vif3.0/proxy_arp`): slashes, because names like vif3.0 hold dots. */
export interface SysctlOp {
  readonly key: string;
  readonly value: string;
  /** Skip when the kernel has no such key (e.g. turning IPv6 forwarding off in a kernel without IPv6). */
  readonly ifPresent?: boolean;
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

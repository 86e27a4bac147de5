import type { NetConfigDocument } from '../../services/net-config';
import { describeIpOp, type IpOp } from './ip-plan';
import type { NetState } from './net-state';
import type { NftCommand } from './nft-json';
import type { NftTableState } from './nft-state';
import { planBaseRuleset, type AntispoofEntries } from './plan-base-ruleset';
import { planDownstream } from './plan-downstream';
import { planGuestNetwork, planGuestSysctls, planGuestTeardown } from './plan-guest-network';
import { planResolvConf, type ResolvConfState } from './plan-resolv-conf';
import { describeSysctlOp, planSysctls, type SysctlOp } from './sysctl-plan';

export interface NetConfigObserved {
  readonly net: NetState;
  readonly nft: { readonly ip?: NftTableState; readonly ip6?: NftTableState };
  readonly sysctl: ReadonlyMap<string, string | undefined>;
  readonly resolvConf: ResolvConfState;
}

/**
 * Everything one NetConfig document changes, in the order it is applied:
 * nftables first (antispoof entries exist before any vif comes up), then
 * sysctls, then `ip`, then resolv.conf.
 */
export interface NetConfigPlan {
  readonly nft: readonly NftCommand[];
  readonly sysctl: readonly SysctlOp[];
  readonly ip: readonly IpOp[];
  readonly resolvConf?: string;
  /**
   * Client addresses that joined or left: their tracked flows are forgotten,
   * so a qube given a recycled address never inherits another's established
   * connections.
   */
  readonly conntrackPurge: readonly string[];
  readonly missingVifs: readonly string[];
}

/** The sysctl keys a document cares about, so the observer reads only those. */
export function desiredSysctls(
  doc: NetConfigDocument,
  net: NetState,
  previous?: NetConfigDocument,
): readonly SysctlOp[] {
  const provider = doc.provider ?? (previous?.provider ? { ...previous.provider, clients: [] } : undefined);
  return [
    ...(doc.uplink ? planGuestSysctls(doc.uplink, net) : []),
    ...(provider ? planDownstream(provider, net).sysctl : []),
  ];
}

/**
 * `previous` is the document applied before this one: what it configured
 * and this one no longer asks for (a lost uplink, a role given up) is
 * removed, and only that.
 */
export function planNetConfig(
  doc: NetConfigDocument,
  observed: NetConfigObserved,
  previous?: NetConfigDocument,
): NetConfigPlan {
  const ip: IpOp[] = [];
  const nft: NftCommand[] = [];
  const sysctl: SysctlOp[] = [];
  let missingVifs: readonly string[] = [];
  let conntrackPurge: string[] = [];
  let resolvConf: string | undefined;
  const old = previous?.uplink;
  if (old && (!doc.uplink || doc.uplink.mac !== old.mac)) ip.push(...planGuestTeardown(old, observed.net));
  if (doc.uplink) {
    // Sysctls are applied before `ip`: the link's settings are in place before it comes up.
    sysctl.push(...planSysctls(planGuestSysctls(doc.uplink, observed.net), observed.sysctl));
    ip.push(...planGuestNetwork(doc.uplink, observed.net, old).ops);
    resolvConf = planResolvConf(doc.uplink, observed.resolvConf);
  }
  // A qube that stops providing keeps its tables (no table would mean no antispoofing) with empty sets.
  const provider = doc.provider ?? (previous?.provider ? { ...previous.provider, clients: [] } : undefined);
  const down = provider ? planDownstream(provider, observed.net, previous?.provider) : undefined;
  // Every qube has the base ruleset, as upstream loads it everywhere: its input filter keeps an app qube's
  // listening ports closed to its netvm, and the user's custom-input chain exists. Without clients the
  // antispoof sets are empty; the ip6 table exists even with IPv6 off, its empty sets then drop all IPv6
  // from clients (fail closed).
  nft.push(
    ...planBaseRuleset('ip', down?.antispoof.ip ?? NO_CLIENTS, observed.nft.ip),
    ...planBaseRuleset('ip6', down?.antispoof.ip6 ?? NO_CLIENTS, observed.nft.ip6),
  );
  if (provider && down) {
    const wanted = doc.provider ? down.sysctl : down.sysctl.map(forwardingOff);
    sysctl.push(...planSysctls(wanted, observed.sysctl));
    ip.push(...down.ip);
    missingVifs = down.missingVifs;
    conntrackPurge = [
      ...changedAddresses(down.antispoof.ip.downstream, observed.nft.ip?.sets.get('downstream')),
      ...changedAddresses(down.antispoof.ip6.downstream, observed.nft.ip6?.sets.get('downstream')),
    ];
  }
  return { nft, sysctl, ip, conntrackPurge, missingVifs, ...(resolvConf !== undefined ? { resolvConf } : {}) };
}

const NO_CLIENTS: AntispoofEntries = { allowed: [], downstream: [] };

function changedAddresses(desired: readonly string[], observed: readonly string[] = []): string[] {
  return [...desired.filter((a) => !observed.includes(a)), ...observed.filter((a) => !desired.includes(a))];
}

const forwardingOff = (op: SysctlOp): SysctlOp =>
  op.key.endsWith('forwarding') || op.key.endsWith('ip_forward') ? { key: op.key, value: '0', ifPresent: true } : op;

export function isEmptyPlan(plan: NetConfigPlan): boolean {
  return (
    plan.nft.length === 0 &&
    plan.sysctl.length === 0 &&
    plan.ip.length === 0 &&
    plan.conntrackPurge.length === 0 &&
    plan.resolvConf === undefined
  );
}

/** One line per change, for --dry-run and the debug log. */
export function describeNetConfigPlan(plan: NetConfigPlan, resolvConfPath: string): string[] {
  return [
    ...plan.nft.map((cmd) => `nft ${JSON.stringify(cmd)}`),
    ...plan.conntrackPurge.map((ip) => `conntrack: forget flows from and to ${ip}`),
    ...plan.sysctl.map(describeSysctlOp),
    ...plan.ip.map(describeIpOp),
    ...(plan.resolvConf !== undefined ? [`write ${resolvConfPath}: ${JSON.stringify(plan.resolvConf)}`] : []),
    ...plan.missingVifs.map((vif) => `# ${vif} missing: its link is left for a later push`),
  ];
}

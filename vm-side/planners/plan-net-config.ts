import type { NetConfigDocument, Uplink } from '../../services/net-config';
import { describeIpOp, type IpOp } from './ip-plan';
import type { NetState } from './net-state';
import type { NftCommand } from './nft-json';
import type { NftTableState } from './nft-state';
import { planBaseRuleset, type AntispoofEntries } from './plan-base-ruleset';
import { planDownstream } from './plan-downstream';
import { planGuestNetwork, planGuestSysctls, planGuestTeardown, planManagedGuestNetwork } from './plan-guest-network';
import { planMappedIpNat } from './plan-mapped-ip-nat';
import { planNmConnection, planNmConnectionRemoval, type NmConnectionWrite } from './plan-nm-connection';
import { planResolvConf, type ResolvConfState } from './plan-resolv-conf';
import { describeResolvedOp, planResolvedDns, type ResolvedOp, type ResolvedState } from './plan-resolved-dns';
import { describeSysctlOp, planSysctls, type SysctlOp } from './sysctl-plan';

/** Qubes services that are on in the qube itself (/run/qubes-service/NAME), whatever the document says. */
export interface LocalServices {
  readonly disableDefaultRoute: boolean;
  readonly disableDnsServer: boolean;
  readonly networkManager: boolean;
}

export interface NetworkManagerState {
  /** setup-ip hands the uplink to NetworkManager only where nmcli exists. */
  readonly nmcli: boolean;
  readonly connectionsDir: string;
  /** The uplink's profile as it is on disk; undefined when missing. */
  readonly profile?: string;
}

export interface NetConfigObserved {
  readonly net: NetState;
  readonly nft: { readonly ip?: NftTableState; readonly ip6?: NftTableState; readonly mappedIp?: NftTableState };
  readonly sysctl: ReadonlyMap<string, string | undefined>;
  readonly resolvConf: ResolvConfState;
  readonly services?: LocalServices;
  readonly resolved?: ResolvedState;
  readonly networkManager?: NetworkManagerState;
  /**
   * Vifs that upstream's vif-qubes-nat.sh already moved into a `VIF-nat`
   * namespace (on a real Qubes its hotplug script still runs): that vif is
   * translated there, and translating again here would break it.
   */
  readonly upstreamNatVifs?: readonly string[];
}

/**
 * The uplink as this qube applies it: a service on in the qube itself counts
 * as much as one dom0 sent (setup-ip reads only the local ones), and a flag
 * only ever closes something (no default route, no DNS, hands-off eth0).
 */
export function effectiveUplink(uplink: Uplink, services: LocalServices | undefined): Uplink {
  if (!services) return uplink;
  return {
    ...uplink,
    ...(uplink.disableDefaultRoute || services.disableDefaultRoute ? { disableDefaultRoute: true as const } : {}),
    ...(uplink.disableDnsServer || services.disableDnsServer ? { disableDnsServer: true as const } : {}),
    ...(uplink.networkManager || services.networkManager ? { networkManager: true as const } : {}),
  };
}

/** setup-ip's test: the `network-manager` service is on and nmcli is installed. */
export const managedByNetworkManager = (uplink: Uplink, observed: NetConfigObserved): boolean =>
  uplink.networkManager === true && observed.networkManager?.nmcli === true;

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
  /** Where systemd-resolved runs: the uplink's per-link DNS servers. */
  readonly resolved?: ResolvedOp;
  /** A NetworkManager-managed uplink: the connection profile to write and load. */
  readonly nmConnection?: NmConnectionWrite;
  /** The profile qnet wrote before, when NetworkManager no longer manages the uplink. */
  readonly nmConnectionRemove?: string;
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
  let resolved: ResolvedOp | undefined;
  let nmConnection: NmConnectionWrite | undefined;
  let nmConnectionRemove: string | undefined;
  const old = previous?.uplink;
  if (old && (!doc.uplink || doc.uplink.mac !== old.mac)) ip.push(...planGuestTeardown(old, observed.net));
  if (doc.uplink) {
    const uplink = effectiveUplink(doc.uplink, observed.services);
    // Sysctls are applied before `ip`: the link's settings are in place before it comes up.
    sysctl.push(...planSysctls(planGuestSysctls(uplink, observed.net), observed.sysctl));
    if (managedByNetworkManager(uplink, observed)) {
      // NetworkManager configures the link and resolv.conf from the profile; qnet writes only the profile.
      ip.push(...planManagedGuestNetwork(uplink, observed.net).ops);
      const link = observed.net.links.find((l) => l.mac === uplink.mac);
      const nm = observed.networkManager;
      if (link && nm) nmConnection = planNmConnection(uplink, link.name, link.mac, nm.connectionsDir, nm.profile);
    } else {
      ip.push(...planGuestNetwork(uplink, observed.net, old).ops);
      resolvConf = planResolvConf(uplink, observed.resolvConf);
      const link = observed.net.links.find((l) => l.mac === uplink.mac);
      if (link && observed.resolved) resolved = planResolvedDns(uplink, link.name, observed.resolved, old);
      const nm = observed.networkManager;
      if (link && nm) {
        const before = old ? effectiveUplink(old, observed.services) : undefined;
        nmConnectionRemove = planNmConnectionRemoval(before, link.name, link.mac, nm.connectionsDir, nm.profile);
      }
    }
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
  // Always planned: a table left from a client that since lost its fake address is removed.
  const upstreamNat = new Set(observed.upstreamNatVifs ?? []);
  const mapped = doc.provider && down ? down.mappedIp.filter((c) => !upstreamNat.has(c.vif)) : [];
  nft.push(...planMappedIpNat(mapped, observed.nft.mappedIp));
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
  return {
    nft,
    sysctl,
    ip,
    conntrackPurge,
    missingVifs,
    ...(resolvConf !== undefined ? { resolvConf } : {}),
    ...(resolved ? { resolved } : {}),
    ...(nmConnection ? { nmConnection } : {}),
    ...(nmConnectionRemove ? { nmConnectionRemove } : {}),
  };
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
    plan.resolvConf === undefined &&
    plan.resolved === undefined &&
    plan.nmConnection === undefined &&
    plan.nmConnectionRemove === undefined
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
    ...(plan.resolved ? [describeResolvedOp(plan.resolved)] : []),
    ...(plan.nmConnection
      ? [
          `write ${plan.nmConnection.path} (0600) and nmcli connection load it: ${JSON.stringify(plan.nmConnection.content)}`,
        ]
      : []),
    ...plan.missingVifs.map((vif) => `# ${vif} missing: its link is left for a later push`),
  ];
}

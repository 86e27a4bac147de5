import type { NftCommand } from '../../planners/nft-json';

/** The two nftables families this service owns a `qubes-firewall` table in. */
export type Family = 'ip' | 'ip6';
export const FAMILIES: readonly Family[] = ['ip', 'ip6'];

/** One address family's answer for a `dsthost` name. An empty list is NODATA: the name has no such record. */
export type FamilyResult = { readonly addresses: readonly string[] } | { readonly error: string };

export interface ResolvedName {
  readonly ip: FamilyResult;
  readonly ip6: FamilyResult;
  /**
   * Addresses an earlier answer gave and the current one no longer does,
   * sorted, still matched by the name's rules until their grace ends: a
   * rotation on TTL refresh does not cut flows to them at once. Absent when
   * none.
   */
  readonly graced?: Readonly<Record<Family, readonly string[]>>;
}

export type NameTable = ReadonlyMap<string, ResolvedName>;

export type L4Proto = 'tcp' | 'udp' | 'icmp';

/**
 * A rule reduced to what one family's chain matches. The same value is
 * rendered to nftables and used to judge conntrack flows, so the two can
 * never disagree.
 */
export interface CompiledRule {
  readonly verdict: 'accept' | 'reject';
  /** Undefined: every protocol (a Qubes rule without proto and without ports). */
  readonly protos?: readonly L4Proto[];
  /** Addresses or networks; undefined: any destination. Never empty. */
  readonly daddr?: readonly string[];
  /** Match the destination before DNAT: DNS1/DNS2 are virtual and translated in prerouting. */
  readonly originalDaddr?: boolean;
  readonly dports?: { readonly from: number; readonly to: number };
  readonly icmptype?: number;
  readonly comment?: string;
}

export interface ClientRuleFailure {
  readonly rule?: number;
  readonly message: string;
}

/** What the kernel holds for one client address chain: a key of the rendered rules, or unknown (seen in the kernel). */
export type ChainKey = string | undefined;

/**
 * One client address in one family: its dispatch chain (the map's jump
 * target) and the revision chains it may `goto`. An update adds a revision
 * and puts a `goto` to it first; the superseded ones are removed later.
 */
export interface InstalledChain {
  /** Key of the live revision's rules; undefined when unknown (seen in the kernel, not written by us). */
  readonly key: ChainKey;
  /** The revision the dispatch chain's first rule goes to; undefined when not known. */
  readonly live?: number;
  /** Every revision chain present, the live one included. */
  readonly revisions: readonly number[];
  /** True when the dispatch chain holds only the `goto` to `live` and no other revision exists. */
  readonly tidy: boolean;
}

/** A client document with the answers of its `dsthost` names, in the order of its names. */
export interface PlannedInput {
  readonly client: unknown;
  readonly answers: readonly (ResolvedName | undefined)[];
}

/** What this service knows about one client it has planned for. */
export interface InstalledClient {
  readonly name: string;
  readonly ip: string;
  readonly ip6?: string;
  /**
   * The client's document and its names' answers when its chains were
   * planned; equal inputs mean equal chains. None for a fail-closed client,
   * so the next plan retries it.
   */
  readonly input?: PlannedInput;
  /** Earliest future expiry of one of its rules (ms), when a re-plan is due. */
  readonly wakeAt?: number;
  readonly names: readonly string[];
  readonly failures: readonly ClientRuleFailure[];
}

export interface InstalledFirewall {
  /** Whether the family's forward chain with its fixed rules is in place. */
  readonly base: Readonly<Record<Family, boolean>>;
  /** Client chains by family, keyed by the client address the chain is for. */
  readonly chains: Readonly<Record<Family, ReadonlyMap<string, InstalledChain>>>;
  /** Keyed by the client's IPv4 address (unique in a document). */
  readonly clients: ReadonlyMap<string, InstalledClient>;
}

export const EMPTY_INSTALLED: InstalledFirewall = {
  base: { ip: false, ip6: false },
  chains: { ip: new Map(), ip6: new Map() },
  clients: new Map(),
};

/** Drop a client's established flows when their new verdict is not accept; `all` for a client that left. */
export interface ConntrackSweep {
  readonly family: Family;
  readonly source: string;
  readonly rules: readonly CompiledRule[] | 'all';
}

export interface ReportedFailure {
  readonly client: string;
  readonly rule?: number;
  readonly message: string;
}

export interface FirewallPlan {
  /** One nftables transaction; empty when nothing changes. */
  readonly commands: readonly NftCommand[];
  readonly sweeps: readonly ConntrackSweep[];
  readonly failures: readonly ReportedFailure[];
  /** The state after `commands` are applied. */
  readonly installed: InstalledFirewall;
  /** When a rule expires next (ms since the epoch), if ever. */
  readonly nextWakeAt?: number;
  /** Addresses (IPv4 keys) of the clients whose chains this plan rewrites. */
  readonly changedClients: readonly string[];
}

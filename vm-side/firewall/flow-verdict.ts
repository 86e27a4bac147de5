import { ipv4ToNumber, isIpv4 } from '../../shared/net/ipv4';
import { parseIpv6Groups } from '../../shared/net/ipv6';
import type { CompiledRule, Family } from './planners/firewall-model';

/** One conntrack entry, as the original direction saw it; ports and types are numbers, never strings. */
export interface Flow {
  readonly family: Family;
  /** `tcp`, `udp`, `icmp`, `ipv6-icmp`, or another protocol's name or number. */
  readonly proto: string;
  readonly src: string;
  /** Destination the client addressed (before DNAT). */
  readonly dst: string;
  /** Where the flow really goes (the reply's source: after DNAT). */
  readonly replySrc: string;
  readonly sport?: number;
  readonly dport?: number;
  readonly icmpType?: number;
  readonly icmpCode?: number;
  readonly icmpId?: number;
}

function bitsOf(address: string): number[] | undefined {
  if (isIpv4(address)) {
    const n = ipv4ToNumber(address);
    return Array.from({ length: 32 }, (_, i) => Math.floor(n / 2 ** (31 - i)) % 2);
  }
  const groups = parseIpv6Groups(address);
  return groups?.flatMap((g) => Array.from({ length: 16 }, (_, i) => (g >> (15 - i)) & 1));
}

/** Whether `address` lies in `cidr` (or equals a bare address); families never mix. */
export function cidrContains(cidr: string, address: string): boolean {
  const slash = cidr.indexOf('/');
  const net = bitsOf(slash < 0 ? cidr : cidr.slice(0, slash));
  const addr = bitsOf(address);
  if (!net || !addr || net.length !== addr.length) return false;
  const len = slash < 0 ? net.length : Number(cidr.slice(slash + 1));
  for (let i = 0; i < len; i++) if (net[i] !== addr[i]) return false;
  return true;
}

function protoMatches(rule: CompiledRule, flow: Flow): boolean {
  if (!rule.protos) return true;
  return rule.protos.some((p) => p === flow.proto || (p === 'icmp' && flow.proto === 'ipv6-icmp'));
}

function ruleMatches(rule: CompiledRule, flow: Flow): boolean {
  if (!protoMatches(rule, flow)) return false;
  if (rule.daddr) {
    const dst = rule.originalDaddr ? flow.dst : flow.replySrc;
    if (!rule.daddr.some((cidr) => cidrContains(cidr, dst))) return false;
  }
  if (rule.dports) {
    if (flow.dport === undefined || flow.dport < rule.dports.from || flow.dport > rule.dports.to) return false;
  }
  if (rule.icmptype !== undefined && flow.icmpType !== rule.icmptype) return false;
  return true;
}

/**
 * The verdict the client's chain gives this flow's first packet: first match
 * decides, and a chain without a match drops (section 3). The same rules are
 * rendered to nftables, so a flow this says is refused is one nft would refuse.
 */
export function flowAllowed(rules: readonly CompiledRule[], flow: Flow): boolean {
  for (const rule of rules) if (ruleMatches(rule, flow)) return rule.verdict === 'accept';
  return false;
}

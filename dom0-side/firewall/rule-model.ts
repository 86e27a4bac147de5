/**
 * One firewall rule as Qubes's `qubes.firewall.Rule` holds it. Address and
 * expiry texts are kept as written because Qubes prints them back verbatim
 * (`dst4=10.0.0.1/08` stays so); the parsed numbers sit beside them.
 */
export type RuleAction = 'accept' | 'drop';
export type RuleProto = 'tcp' | 'udp' | 'icmp';

export type RuleDestination =
  | { readonly kind: 'dst4' | 'dst6'; readonly address: string; readonly prefixlen: number; readonly text: string }
  | { readonly kind: 'dsthost'; readonly text: string };

export interface PortRange {
  readonly from: number;
  readonly to: number;
}

export interface RuleExpire {
  /** Unix seconds. */
  readonly at: number;
  readonly text: string;
}

export interface FirewallRuleModel {
  readonly action: RuleAction;
  readonly proto?: RuleProto;
  readonly dst?: RuleDestination;
  readonly specialtarget?: 'dns';
  readonly dstports?: PortRange;
  readonly icmptype?: number;
  readonly expire?: RuleExpire;
  readonly comment?: string;
}

/** Qubes's default for a qube without a firewall configuration: everything is allowed. */
export const DEFAULT_FIREWALL: readonly FirewallRuleModel[] = Object.freeze([Object.freeze({ action: 'accept' })]);

/**
 * The Admin API line, in Qubes's `Rule.api_rule` order: properties sorted by
 * their declared order then name (action, expire | dsthost, proto,
 * specialtarget | dstports, icmptype), with the comment moved last.
 */
export function toApiLine(rule: FirewallRuleModel): string {
  const parts = [`action=${rule.action}`];
  if (rule.expire) parts.push(`expire=${rule.expire.text}`);
  if (rule.dst) parts.push(`${rule.dst.kind}=${rule.dst.text}`);
  if (rule.proto) parts.push(`proto=${rule.proto}`);
  if (rule.specialtarget) parts.push(`specialtarget=${rule.specialtarget}`);
  if (rule.dstports) parts.push(`dstports=${rule.dstports.from}-${rule.dstports.to}`);
  if (rule.icmptype !== undefined) parts.push(`icmptype=${rule.icmptype}`);
  if (rule.comment !== undefined) parts.push(`comment=${rule.comment}`);
  return parts.join(' ');
}

/** Qubes compares `datetime(expire) < utcnow()`: a rule is still live during its expiry second's start. */
export function isRuleExpired(rule: FirewallRuleModel, nowMs: number): boolean {
  return rule.expire !== undefined && rule.expire.at * 1000 < nowMs;
}

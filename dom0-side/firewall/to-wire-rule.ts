import type { FirewallRule } from '../../services/schemas/firewall-rule';
import { FirewallRule as FirewallRuleSchema } from '../../services/schemas/firewall-rule';
import { describeIssue } from '../../shared/errors/describe-issue';
import { quote } from '../../shared/errors/qnet-error';
import { ipv4ToNumber, numberToIpv4 } from '../../shared/net/ipv4';
import { formatIpv6, parseIpv6Groups } from '../../shared/net/ipv6';
import { UnrepresentableRuleError } from './firewall-rule-error';
import { toApiLine, type FirewallRuleModel, type RuleDestination } from './rule-model';

/** The network a destination names, host bits cleared (as the kernel matches it), in canonical text. */
function toNetwork(dst: Exclude<RuleDestination, { kind: 'dsthost' }>): string {
  if (dst.kind === 'dst4') {
    const mask = dst.prefixlen === 0 ? 0 : (0xffffffff << (32 - dst.prefixlen)) >>> 0;
    return `${numberToIpv4((ipv4ToNumber(dst.address) & mask) >>> 0)}/${dst.prefixlen}`;
  }
  const groups = parseIpv6Groups(dst.address) ?? [];
  const masked = groups.map((g, i) => {
    const bits = Math.max(0, Math.min(16, dst.prefixlen - i * 16));
    return bits === 0 ? 0 : g & ((0xffff << (16 - bits)) & 0xffff);
  });
  return `${formatIpv6(masked)}/${dst.prefixlen}`;
}

/**
 * The `qubes.FirewallSync` form of a rule. Qubes accepts a few rules that
 * the wire cannot carry (a destination together with `specialtarget`, a host
 * name that is no DNS name); the schema refuses those here, with the rule in
 * the message, rather than silently widening or narrowing them.
 */
export function toWireRule(rule: FirewallRuleModel): FirewallRule {
  const wire: Record<string, unknown> = { action: rule.action };
  if (rule.proto) wire.proto = rule.proto;
  if (rule.dst?.kind === 'dsthost') wire.dsthost = rule.dst.text;
  else if (rule.dst) wire[rule.dst.kind] = toNetwork(rule.dst);
  if (rule.specialtarget) wire.specialtarget = rule.specialtarget;
  // Parsed ports are at most 65535 (qubesd 4.4's bound), so they go out as they are.
  if (rule.dstports) wire.dstports = { from: rule.dstports.from, to: rule.dstports.to };
  if (rule.icmptype !== undefined) wire.icmptype = rule.icmptype;
  if (rule.expire) wire.expire = rule.expire.at;
  if (rule.comment !== undefined) wire.comment = rule.comment;
  const parsed = FirewallRuleSchema.safeParse(wire);
  if (!parsed.success) {
    throw new UnrepresentableRuleError(
      `rule ${quote(toApiLine(rule), 160)} cannot be sent: ${describeIssue(parsed.error.issues[0])}`,
    );
  }
  return parsed.data;
}

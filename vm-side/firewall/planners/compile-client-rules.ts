import type { ClientFirewall } from '../../../services/firewall-sync';
import type { FirewallRule } from '../../../services/schemas/firewall-rule';
import type {
  ClientRuleFailure,
  CompiledRule,
  Family,
  FamilyResult,
  L4Proto,
  NameTable,
  ResolvedName,
} from './firewall-model';

const DNS_PORT = 53;
/** The kernel keeps at most 256 bytes of user data per rule; the comment is for people, so cut it. */
export const MAX_NFT_COMMENT = 128;

export interface CompiledClient {
  readonly rules: Readonly<Record<Family, readonly CompiledRule[]>>;
  readonly failures: readonly ClientRuleFailure[];
  /** Earliest future `expire` (ms): the chain must be re-planned then. */
  readonly wakeAt?: number;
}

interface RuleOutcome {
  readonly rule?: CompiledRule;
  /** Why this family's part of the rule is not what dom0 asked for. */
  readonly failure?: string;
}

const FAMILY_LABEL: Record<Family, string> = { ip: 'IPv4', ip6: 'IPv6' };

/**
 * Turns one client's rules into per-family match lists. A name that fails to
 * resolve touches only its own rule (section 5: upstream let one bad name
 * block the whole client): an accept rule then matches nothing, and a drop
 * rule drops its protocol and ports to every destination, so whatever it was
 * meant to stop stays stopped. A name without an AAAA record simply has no
 * IPv6 part; that is no failure.
 */
export function compileClientRules(client: ClientFirewall, names: NameTable, nowMs: number): CompiledClient {
  const out: Record<Family, CompiledRule[]> = { ip: [], ip6: [] };
  const failures: ClientRuleFailure[] = [];
  let wakeAt: number | undefined;
  client.rules.forEach((rule, index) => {
    if (rule.expire !== undefined) {
      const expireMs = rule.expire * 1000;
      if (expireMs <= nowMs) return;
      wakeAt = wakeAt === undefined ? expireMs : Math.min(wakeAt, expireMs);
    }
    const reasons: string[] = [];
    for (const family of familiesOf(client)) {
      const outcome = compileRule(rule, family, client, names);
      if (outcome.rule) out[family].push(outcome.rule);
      if (outcome.failure) reasons.push(`${FAMILY_LABEL[family]}: ${outcome.failure}`);
    }
    const noAddress = rule.dsthost !== undefined && hasNoAddressAtAll(names.get(rule.dsthost));
    if (noAddress || reasons.length > 0) {
      const graced = rule.dsthost === undefined ? undefined : names.get(rule.dsthost)?.graced;
      failures.push({ rule: index, message: describeNameFailure(rule, reasons, noAddress, graced) });
    }
  });
  return { rules: out, failures, ...(wakeAt === undefined ? {} : { wakeAt }) };
}

export function familiesOf(client: ClientFirewall): Family[] {
  return client.ip6 === undefined ? ['ip'] : ['ip', 'ip6'];
}

function compileRule(rule: FirewallRule, family: Family, client: ClientFirewall, names: NameTable): RuleOutcome {
  const base = {
    verdict: rule.action === 'accept' ? ('accept' as const) : ('reject' as const),
    ...(rule.proto ? { protos: [rule.proto] as readonly L4Proto[] } : {}),
    ...(rule.dstports ? { dports: { from: rule.dstports.from, to: rule.dstports.to } } : {}),
    ...(rule.icmptype !== undefined ? { icmptype: rule.icmptype } : {}),
    ...(rule.comment ? { comment: rule.comment.slice(0, MAX_NFT_COMMENT) } : {}),
  };
  if (rule.dst4 !== undefined) return family === 'ip' ? { rule: { ...base, daddr: [rule.dst4] } } : {};
  if (rule.dst6 !== undefined) return family === 'ip6' ? { rule: { ...base, daddr: [rule.dst6] } } : {};
  if (rule.specialtarget === 'dns') return compileDnsRule(base, family, client);
  if (rule.dsthost !== undefined) {
    const resolved = names.get(rule.dsthost);
    const answer: FamilyResult = resolved?.[family] ?? { error: 'not resolved yet' };
    // Addresses an earlier answer gave, in their grace period: matched as before, so a rotation cuts no flow.
    const graced = resolved?.graced?.[family] ?? [];
    if ('error' in answer) {
      // Fail closed: an accept allows no more than earlier answers did; a drop without addresses drops it all.
      if (base.verdict === 'reject') return { rule: base, failure: answer.error };
      return graced.length > 0
        ? { rule: { ...base, daddr: [...graced] }, failure: answer.error }
        : { failure: answer.error };
    }
    const daddr = [...new Set([...answer.addresses, ...graced])].sort();
    return daddr.length > 0 ? { rule: { ...base, daddr } } : {};
  }
  return { rule: base };
}

/**
 * `specialtarget=dns`: the client's DNS addresses, port 53, tcp and udp unless
 * the rule names one. DNS stays IPv4 (section 3), so the IPv6 chain gets
 * nothing; a port range without 53 or an icmp rule cannot match DNS either.
 */
function compileDnsRule(base: CompiledRule, family: Family, client: ClientFirewall): RuleOutcome {
  if (family !== 'ip' || client.dns.length === 0) return {};
  if (base.protos?.includes('icmp')) return {};
  if (base.dports && (base.dports.from > DNS_PORT || base.dports.to < DNS_PORT)) return {};
  return {
    rule: {
      ...base,
      protos: base.protos ?? ['tcp', 'udp'],
      daddr: [...client.dns],
      originalDaddr: true,
      dports: { from: DNS_PORT, to: DNS_PORT },
    },
  };
}

function describeNameFailure(
  rule: FirewallRule,
  reasons: readonly string[],
  noAddress: boolean,
  graced: ResolvedName['graced'],
): string {
  const name = JSON.stringify(rule.dsthost ?? '');
  if (noAddress) return `dsthost ${name} has no address: rule matches nothing`;
  const effect =
    rule.action !== 'accept'
      ? 'rule drops every destination'
      : graced && graced.ip.length + graced.ip6.length > 0
        ? "rule matches only earlier answers' addresses until their grace ends"
        : 'rule matches nothing';
  return `dsthost ${name} did not resolve (${reasons.join('; ')}): ${effect}`;
}

function hasNoAddressAtAll(name: ResolvedName | undefined): boolean {
  if (!name) return false;
  const empty = (r: FamilyResult) => 'addresses' in r && r.addresses.length === 0;
  const graced = (name.graced?.ip.length ?? 0) + (name.graced?.ip6.length ?? 0);
  return empty(name.ip) && empty(name.ip6) && graced === 0;
}

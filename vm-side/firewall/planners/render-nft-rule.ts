import type { NftCommand } from '../../planners/nft-json';
import type { CompiledRule, Family } from './firewall-model';

type Expr = Record<string, unknown>;

const match = (left: unknown, right: unknown): Expr => ({ match: { op: '==', left, right } });

/** nft's JSON for an address or `addr/len`. */
function addressValue(text: string): unknown {
  const slash = text.indexOf('/');
  if (slash < 0) return text;
  return { prefix: { addr: text.slice(0, slash), len: Number(text.slice(slash + 1)) } };
}

function protoName(proto: string, family: Family): string {
  return proto === 'icmp' && family === 'ip6' ? 'ipv6-icmp' : proto;
}

/** The statements of one compiled rule, in the order nft evaluates them cheapest-first. */
export function renderRuleExpr(rule: CompiledRule, family: Family): Expr[] {
  const expr: Expr[] = [];
  const single = rule.protos?.length === 1 ? rule.protos[0] : undefined;
  // `tcp dport`/`icmp type` make nft add their own l4proto match; a second one only costs time (200 clients × 50 rules).
  const implied = single !== undefined && (rule.dports !== undefined || rule.icmptype !== undefined);
  if (rule.protos && !implied) {
    const names = rule.protos.map((p) => protoName(p, family));
    // `meta l4proto` rather than `ip protocol`/`ip6 nexthdr`: it looks past IPv6 extension headers.
    expr.push(match({ meta: { key: 'l4proto' } }, names.length === 1 ? names[0] : { set: names }));
  }
  if (rule.daddr) {
    const left = rule.originalDaddr
      ? { ct: { key: `${family} daddr`, dir: 'original' } }
      : { payload: { protocol: family, field: 'daddr' } };
    const values = rule.daddr.map(addressValue);
    expr.push(match(left, values.length === 1 ? values[0] : { set: values }));
  }
  if (rule.dports) {
    const { from, to } = rule.dports;
    // `th dport` covers tcp and udp in one rule; the l4proto match above makes it safe.
    const proto = single ?? 'th';
    expr.push(match({ payload: { protocol: proto, field: 'dport' } }, from === to ? from : { range: [from, to] }));
  }
  if (rule.icmptype !== undefined) {
    const icmp = family === 'ip' ? 'icmp' : 'icmpv6';
    expr.push(match({ payload: { protocol: icmp, field: 'type' } }, rule.icmptype));
  }
  expr.push(rule.verdict === 'accept' ? { accept: null } : adminProhibited(family));
  return expr;
}

/** What upstream's qubes-firewall renders `drop` as: an ICMP(v6) admin-prohibited error to the client. */
export function adminProhibited(family: Family): Expr {
  return { reject: { type: family === 'ip' ? 'icmp' : 'icmpv6', expr: 'admin-prohibited' } };
}

export function addRule(family: Family, table: string, chain: string, expr: unknown[], comment?: string): NftCommand {
  return { add: { rule: { family, table, chain, expr, ...(comment ? { comment } : {}) } } };
}

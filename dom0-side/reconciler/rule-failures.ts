import type { RuleFailureReport } from '../../services/admin/admin-schemas';
import type { FirewallRule } from '../../services/schemas/firewall-rule';
import type { FirewallSyncBody } from '../documents/document-types';

/** How many rule failures one log line set names before it only counts the rest. */
export const LOGGED_RULE_FAILURES = 20;

/** A wire rule in the Admin API form and order (`action=… dsthost=… proto=… dstports=N-M …`). */
export function wireRuleText(rule: FirewallRule): string {
  const parts = [`action=${rule.action}`];
  if (rule.expire !== undefined) parts.push(`expire=${rule.expire}`);
  if (rule.dst4) parts.push(`dst4=${rule.dst4}`);
  if (rule.dst6) parts.push(`dst6=${rule.dst6}`);
  if (rule.dsthost) parts.push(`dsthost=${rule.dsthost}`);
  if (rule.proto) parts.push(`proto=${rule.proto}`);
  if (rule.specialtarget) parts.push(`specialtarget=${rule.specialtarget}`);
  if (rule.dstports) parts.push(`dstports=${rule.dstports.from}-${rule.dstports.to}`);
  if (rule.icmptype !== undefined) parts.push(`icmptype=${rule.icmptype}`);
  if (rule.comment !== undefined) parts.push(`comment=${rule.comment}`);
  return parts.join(' ');
}

/**
 * The agent names a failed rule by client and index; dom0 still holds the document it sent, so the report
 * gains the rule's text. An index the document does not have stays a bare number (the agent's word only).
 */
export function describeRuleFailures(
  sent: FirewallSyncBody,
  failures: readonly { client: string; rule?: number; message: string }[],
): RuleFailureReport[] {
  const byClient = new Map(sent.clients.map((c) => [c.name, c.rules]));
  return failures.map((f) => {
    const rule = f.rule === undefined ? undefined : byClient.get(f.client)?.[f.rule];
    return {
      client: f.client,
      ...(f.rule !== undefined ? { rule: f.rule } : {}),
      ...(rule ? { text: wireRuleText(rule) } : {}),
      message: f.message,
    };
  });
}

/** One line: `client work rule 2 (action=accept dsthost=… ): reason`. */
export function ruleFailureLine(f: RuleFailureReport): string {
  const which = f.rule === undefined ? `client ${f.client}` : `client ${f.client} rule ${f.rule}`;
  return `${which}${f.text ? ` (${f.text})` : ''}: ${f.message}`;
}

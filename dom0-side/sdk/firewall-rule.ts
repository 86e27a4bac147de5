import { parseAdminRuleLine } from '../firewall/parse-api-rule';
import { toApiLine, type FirewallRuleModel } from '../firewall/rule-model';

/** One firewall rule, as qubesadmin's `qubes.firewall.Rule` (fields in its `api_rule` form). */
export type Rule = FirewallRuleModel;

/**
 * `Rule.parse('action=accept dsthost=192.0.2.1 proto=tcp dstports=443')`:
 * the same parser qnetd applies to the admin API line, so a rule that parses
 * here is accepted by SetFirewall (a FirewallRuleError says which field and
 * why otherwise). `Rule.format` gives the line back in qubesd's order.
 */
export const Rule = {
  parse(line: string): Rule {
    return parseAdminRuleLine(line);
  },
  format(rule: Rule): string {
    return toApiLine(rule);
  },
} as const;

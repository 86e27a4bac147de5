import assert from 'node:assert/strict';
import { FirewallRuleError } from '../../../../../dom0-side/firewall/firewall-rule-error';
import { parseApiRule } from '../../../../../dom0-side/firewall/parse-api-rule';
import { parseCliRule } from '../../../../../dom0-side/firewall/parse-cli-rule';
import { isRuleExpired, toApiLine } from '../../../../../dom0-side/firewall/rule-model';

// Expectations below are facts taken from Qubes's own test suites and code
// (qubes-core-admin qubes/tests/firewall.py, qubes-core-admin-client
// qubesadmin/tests/firewall.py and tests/tools/qvm_firewall.py), restated
// as rule lines: what qubesd would store, or that it refuses.

/** 2026-11-27T00:00:00Z, fixed so relative expiry and "has it expired" are deterministic. */
export const NOW_MS = 1_795_737_600_000;

export type Form = 'api' | 'cli';

function parse(form: Form, line: string) {
  return form === 'api' ? parseApiRule(line) : parseCliRule(line, NOW_MS);
}

/** The line `qnet firewall parse` prints for a valid, unexpired rule. */
export function normalized(form: Form, line: string): string {
  const rule = parse(form, line);
  assert.equal(isRuleExpired(rule, NOW_MS), false, `${JSON.stringify(line)} is expired`);
  return toApiLine(rule);
}

export function expectNormalized(form: Form, line: string, want: string): void {
  assert.equal(normalized(form, line), want, `${form} ${JSON.stringify(line)}`);
}

/** Valid, but past its expiry at NOW_MS: qubesd's api_rule is None for it. */
export function expectExpired(form: Form, line: string): void {
  assert.equal(isRuleExpired(parse(form, line), NOW_MS), true, `${form} ${JSON.stringify(line)} should be expired`);
}

export function expectRefused(form: Form, line: string): void {
  assert.throws(
    () => parse(form, line),
    (err: unknown) => {
      assert.ok(err instanceof FirewallRuleError, `expected a FirewallRuleError for ${form} ${JSON.stringify(line)}`);
      assert.equal(err.code, 'BAD_REQUEST');
      assert.ok(err.message.length > 0);
      return true;
    },
    `${form} ${JSON.stringify(line)} should be refused`,
  );
}

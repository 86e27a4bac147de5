import assert from 'node:assert/strict';
import { FirewallRuleError } from '../../../../../dom0-side/firewall/firewall-rule-error';
import { parseApiRule } from '../../../../../dom0-side/firewall/parse-api-rule';
import { parseCliRule } from '../../../../../dom0-side/firewall/parse-cli-rule';
import { isRuleExpired, toApiLine } from '../../../../../dom0-side/firewall/rule-model';
import { NOW_MS } from './conformance-helpers';
import { API_CASES, CLI_CASES, EXPIRED, type Expected } from './upstream-random-cases';

/** What `qnet firewall parse` decides for a line: the stored text, EXPIRED, or null for a refusal. */
function decide(form: 'api' | 'cli', line: string): Expected {
  try {
    const rule = form === 'api' ? parseApiRule(line) : parseCliRule(line, NOW_MS);
    return isRuleExpired(rule, NOW_MS) ? EXPIRED : toApiLine(rule);
  } catch (err) {
    if (err instanceof FirewallRuleError) return null;
    throw err;
  }
}

function check(form: 'api' | 'cli', cases: typeof API_CASES): void {
  const wrong = cases
    .map(([line, expected]) => ({ line, expected, got: decide(form, line) }))
    .filter((c) => c.got !== c.expected);
  assert.deepEqual(wrong, [], `${wrong.length} of ${cases.length} ${form} lines decided unlike upstream`);
}

describe('conformance: random rule lines decided as upstream decided them', () => {
  it(`Admin API form (${API_CASES.length} lines, qubes.firewall.Rule.from_api_string)`, () => check('api', API_CASES));
  it(`qvm-firewall form (${CLI_CASES.length} lines, RuleAction then from_api_string)`, () => check('cli', CLI_CASES));
  it('covers the classes qnet 0.1 got wrong', () => {
    const was = [...API_CASES, ...CLI_CASES].filter((c) => c[2] === true).map((c) => c[0]);
    for (const needle of ['65536', 'icmptype=+8', 'icmptype=0008', '/1_6', 'expire=-5', '-d']) {
      assert.ok(
        was.some((line) => line.includes(needle)),
        `no case for ${needle}`,
      );
    }
  });
});

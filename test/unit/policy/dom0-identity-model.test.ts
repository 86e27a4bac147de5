import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decisionOf } from '../../../policy/evaluator/describe-evaluation';
import { evaluateRequest } from '../../../policy/evaluator/evaluate';
import { IndexedPolicy } from '../../../policy/evaluator/indexed-policy';
import { renderDaemonResponse } from '../../../policy/daemon/render-daemon-response';
import { parseRuleLine } from '../../../policy/parser/rule';
import { parseSystemInfo } from '../../../policy/system-info/system-info';

/**
 * A model of upstream's rules for plain designations, written independently
 * of the engine: every designation is reduced to the qube it names (dom0,
 * `@adminvm` and `uuid:0…0` to dom0; a known `uuid:` to its qube's name), and
 * a rule column matches when both name the same qube; `@anyvm` matches
 * anything but dom0, `*` everything; an unknown target is `@default`.
 */
const ZERO = '00000000-0000-0000-0000-000000000000';
const UUIDS: Record<string, string> = { dom0: ZERO, work: 'u-work', vault: 'u-vault' };
const info = parseSystemInfo({
  domains: {
    dom0: { type: 'AdminVM', uuid: ZERO, power_state: 'Running' },
    work: { type: 'AppVM', uuid: 'u-work', power_state: 'Running' },
    vault: { type: 'AppVM', uuid: 'u-vault', power_state: 'Halted' },
  },
});
const NAMES = [
  'dom0',
  '@adminvm',
  `uuid:${ZERO}`,
  'work',
  'uuid:u-work',
  'vault',
  'uuid:u-vault',
  'ghost',
  'uuid:nope',
];

function qubeOf(designation: string): string | null {
  if (designation === '@adminvm' || designation === 'dom0' || designation === `uuid:${ZERO}`) return 'dom0';
  if (designation.startsWith('uuid:')) {
    const name = Object.keys(UUIDS).find((n) => `uuid:${UUIDS[n]}` === designation);
    return name ?? designation;
  }
  return designation;
}

function columnMatches(column: string, designation: string): boolean {
  if (column === '*') return true;
  if (column === '@anyvm') return qubeOf(designation) !== 'dom0';
  if (designation === '@default') return false;
  return qubeOf(column) === qubeOf(designation);
}

interface ModelAnswer {
  decision: 'allow' | 'deny';
  daemon: string;
}

function model(rules: Array<[string, string, string]>, source: string, target: string): ModelAnswer {
  const known = (d: string) => ['dom0', 'work', 'vault'].includes(qubeOf(d) ?? '');
  // an unknown qube is treated as if the caller named none
  const intended = target === '@adminvm' || known(target) ? target : '@default';
  const rule = rules.find(([src, tgt]) => columnMatches(src, source) && columnMatches(tgt, intended));
  if (!rule || rule[2] === 'deny' || intended === '@default') return { decision: 'deny', daemon: 'result=deny' };
  const resolved = intended === '@adminvm' ? 'dom0' : intended;
  // executing refuses a loopback, compared as strings
  if (resolved === source) return { decision: 'allow', daemon: 'result=deny' };
  const head = `user=DEFAULT\nresult=allow\ntarget=`;
  const tail = `autostart=True\nrequested_target=${intended}`;
  if (qubeOf(resolved) === 'dom0') return { decision: 'allow', daemon: `${head}dom0\n${tail}` };
  const uuid = UUIDS[qubeOf(resolved) as string];
  return { decision: 'allow', daemon: `${head}${resolved}\ntarget_uuid=uuid:${uuid}\n${tail}` };
}

describe('policy: dom0 identity and uuid forms against a model of upstream (fast-check)', () => {
  it('decides and answers as the model for rules and requests over every designation of dom0 and qubes', () => {
    const column = fc.constantFrom(...NAMES, '@anyvm', '*');
    const rule = fc.tuple(column, column, fc.constantFrom('allow', 'deny'));
    fc.assert(
      fc.property(
        fc.array(rule, { maxLength: 6 }),
        fc.constantFrom(...NAMES),
        fc.constantFrom(...NAMES, '@default'),
        (rules, source, target) => {
          const policy = new IndexedPolicy(
            rules.map(([s, t, a], i) =>
              parseRuleLine(`test.S * ${s} ${t} ${a}`, { file: 'f', line: i + 1, relFile: 'f' }),
            ),
          );
          const e = evaluateRequest(policy, info, { service: 'test.S', argument: '+', source, target });
          const want = model(rules, source, target);
          const got = {
            decision: decisionOf(e),
            daemon: renderDaemonResponse(e, info, { justEvaluate: false, assumeYesForAsk: false }),
          };
          assert.deepEqual(got, want, JSON.stringify({ rules, source, target }));
        },
      ),
      { numRuns: 5000 },
    );
  });
});

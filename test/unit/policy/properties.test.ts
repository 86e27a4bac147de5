import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AccessDeniedError, PolicySyntaxError } from '../../../policy/errors';
import { evaluateRequest } from '../../../policy/evaluator/evaluate';
import { decisionOf } from '../../../policy/evaluator/describe-evaluation';
import { IndexedPolicy } from '../../../policy/evaluator/indexed-policy';
import { loadPolicyRules } from '../../../policy/loader/load-policy';
import { renderDaemonResponse } from '../../../policy/daemon/render-daemon-response';
import { parseRuleLine, type Rule } from '../../../policy/parser/rule';
import { parseSystemInfo } from '../../../policy/system-info/system-info';
import { TempTree } from './policy-fixtures';

const NAMES = ['dom0', 'work', 'vault', 'dvm', 'ghost', 'uuid:u-work', 'uuid:nope'];
const TOKENS = [
  ...NAMES,
  '*',
  '@adminvm',
  '@anyvm',
  '@default',
  '@dispvm',
  '@dispvm:dvm',
  '@dispvm:work',
  '@dispvm:ghost',
  '@dispvm:@tag:t',
  '@type:AppVM',
  '@tag:t',
  '@tag:',
  '@bogus',
];
const token = fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 6 }));
const param = fc.oneof(
  fc.constantFrom('notify=yes', 'notify=no', 'autostart=no', 'autostart=yes', 'user=root', 'user='),
  token.map((t) => `target=${t}`),
  token.map((t) => `default_target=${t}`),
  fc.string({ maxLength: 8 }),
);
const ruleLine = fc
  .tuple(
    fc.constantFrom('qubes.A', 'qubes.B', '*', 'bad!'),
    fc.constantFrom('*', '+', '+x', 'x'),
    token,
    token,
    fc.constantFrom('allow', 'deny', 'ask', 'nope'),
    fc.array(param, { maxLength: 3 }),
  )
  .map(([s, a, src, tgt, act, ps]) => [s, a, src, tgt, act, ...ps].join(' '));

const systemInfo = fc
  .record({
    workDispvm: fc.constantFrom(null, 'dvm', 'ghost', 'work', ''),
    dvmTemplate: fc.boolean(),
    workTags: fc.subarray(['t', 'u']),
    vaultState: fc.constantFrom('Running', 'Halted'),
    workGui: fc.constantFrom(null, 'dom0'),
  })
  .map((o) =>
    parseSystemInfo({
      domains: {
        dom0: { type: 'AdminVM', tags: [], uuid: 'u-dom0', power_state: 'Running' },
        work: {
          type: 'AppVM',
          tags: o.workTags,
          uuid: 'u-work',
          default_dispvm: o.workDispvm,
          guivm: o.workGui,
          power_state: 'Running',
        },
        vault: { type: 'AppVM', tags: ['t'], uuid: 'u-vault', power_state: o.vaultState },
        dvm: { type: 'AppVM', tags: ['t'], uuid: 'u-dvm', template_for_dispvms: o.dvmTemplate },
      },
    }),
  );

describe('policy properties (fast-check)', () => {
  it('a rule line parses or fails with a PolicySyntaxError naming file and line', () => {
    fc.assert(
      fc.property(fc.oneof(ruleLine, fc.string({ maxLength: 60 })), fc.nat(1000), (line, n) => {
        try {
          parseRuleLine(line, { file: 'f.policy', line: n + 1, relFile: 'f.policy' });
        } catch (err) {
          assert.ok(err instanceof PolicySyntaxError, `threw ${String(err)}`);
          assert.equal(err.file, 'f.policy');
          assert.equal(err.line, n + 1);
          assert.ok(err.message.startsWith(`f.policy:${n + 1}: `));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('loading arbitrary file contents throws nothing but a policy error naming the file', () => {
    const tree = new TempTree();
    try {
      const directive = fc.constantFrom('!include x', '!include-dir .', '!include-service s * x', '!compat-4.0', '!x');
      const content = fc.array(fc.oneof(ruleLine, directive, fc.string({ maxLength: 30 })), { maxLength: 8 });
      const eol = fc.constantFrom('\n', '\r\n', '\r');
      fc.assert(
        fc.property(content, eol, (lines, nl) => {
          const file = tree.write('p/30-f.policy', lines.join(nl));
          tree.write('p/x', lines.slice(0, 2).join(nl));
          try {
            loadPolicyRules([tree.path('p')], { legacyDir: tree.path('nolegacy') });
          } catch (err) {
            assert.ok(err instanceof AccessDeniedError, `threw ${String(err)}`);
            assert.ok(err.message.includes(tree.path('')), err.message);
            if (err instanceof PolicySyntaxError) assert.ok(err.file === file || err.file === tree.path('p/x'));
          }
        }),
        { numRuns: 300 },
      );
    } finally {
      tree.dispose();
    }
  });

  it('evaluation never throws, and the daemon allows exactly what was decided', () => {
    const origin = (i: number) => ({ file: 'f', line: i + 1, relFile: 'f' });
    const rules = fc.array(ruleLine, { maxLength: 12 }).map((lines) => {
      const out: Rule[] = [];
      lines.forEach((l, i) => {
        try {
          out.push(parseRuleLine(l, origin(i)));
        } catch {
          /* syntax errors are the parser's property, not this one's */
        }
      });
      return new IndexedPolicy(out);
    });
    const request = fc.record({
      service: fc.constantFrom('qubes.A', 'qubes.B', 'qubes.C'),
      argument: fc.constantFrom('+', '+x', '+y'),
      source: fc.constantFrom('work', 'vault', 'dom0', 'ghost', 'uuid:u-work'),
      target: fc.oneof(token, fc.constant('')),
    });
    fc.assert(
      fc.property(rules, systemInfo, request, fc.boolean(), (policy, info, req, yes) => {
        const e = evaluateRequest(policy, info, req);
        const mode = { justEvaluate: false, assumeYesForAsk: yes };
        const text = renderDaemonResponse(e, info, mode);
        const decision = decisionOf(e);
        if (decision === 'deny') assert.equal(text, 'result=deny');
        // an allow is executed: only a loopback (the source itself, as the same string) is refused then
        if (decision === 'allow' && e.outcome.kind === 'allow') {
          if (e.outcome.target === e.resolved?.source) assert.equal(text, 'result=deny');
          else assert.match(text, /^user=.*\nresult=allow\ntarget=/);
        }
        if (text !== 'result=deny') assert.ok(decision === 'allow' || (decision === 'ask' && yes));
      }),
      { numRuns: 3000 },
    );
  });
});

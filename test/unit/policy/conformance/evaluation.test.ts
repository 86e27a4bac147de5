import assert from 'node:assert/strict';
import { decisionOf } from '../../../../policy/evaluator/describe-evaluation';
import { collectTargetsForAsk, resolveRequest } from '../../../../policy/evaluator/evaluate';
import type { EvaluationView as Evaluation } from '../evaluation-view';
import { PolicyUnderTest, UUID, policyText } from './upstream-fixtures';

const lineOf = (e: Evaluation): number | null => e.rule?.line ?? null;
const allowTarget = (e: Evaluation): string | null =>
  e.denial === null && e.resolution?.kind === 'allow' ? e.resolution.target : null;

/** Each test gets its own policy; the after-each hook removes its files. */
function usePolicy(): { load(text: string): PolicyUnderTest } {
  const made: PolicyUnderTest[] = [];
  afterEach(() => {
    for (const p of made.splice(0)) p.dispose();
  });
  return {
    load(text: string) {
      const p = new PolicyUnderTest(text);
      made.push(p);
      return p;
    },
  };
}

describe('conformance: evaluation', () => {
  const policies = usePolicy();

  describe('first matching rule (test_010_find_rule)', () => {
    const text = policyText(
      '* * test-vm1 test-vm2 allow',
      '* * test-vm1 @anyvm ask',
      '* * test-vm2 @tag:tag1 deny',
      '* * test-vm2 @tag:tag2 allow',
      '* * test-vm2 @dispvm:@tag:tag3 allow',
      '* * test-vm2 @dispvm:@tag:tag2 allow',
      '* * test-vm2 @dispvm:default-dvm allow',
      '* * @type:AppVM @default allow target=test-vm3',
      '* * @tag:tag1 @type:AppVM allow',
    );
    const cases: Array<[string, string, number | null]> = [
      ['test-vm1', 'test-vm2', 1],
      ['test-vm1', 'test-vm3', 2],
      ['test-vm2', 'test-vm2', 4],
      ['test-vm2', 'test-no-dvm', 3],
      ['test-vm1', '@default', 2],
      ['test-vm2', '@default', 8],
      ['test-no-dvm', 'test-vm3', 9],
      ['test-vm2', '@dispvm:test-vm3', 5],
      ['test-vm2', '@dispvm', 7],
      ['test-no-dvm', 'test-standalone', null],
      ['test-no-dvm', '@dispvm', null],
      ['test-standalone', '@default', null],
    ];
    for (const [source, target, line] of cases) {
      it(`${source} -> ${target}: ${line === null ? 'no rule' : `line ${line}`}`, () => {
        const e = policies.load(text).evaluate(source, target);
        assert.equal(lineOf(e), line);
        if (line === null)
          assert.deepEqual(e.denial, { stage: 'match', message: 'no matching rule found', notify: true });
      });
    }
  });

  describe('targets offered by ask (test_020_collect_targets_for_ask)', () => {
    const text = policyText(
      '* * test-vm1 test-vm2 allow',
      '* * test-vm1 @anyvm ask',
      '* * test-vm2 @tag:tag1 deny',
      '* * test-vm2 @tag:tag2 allow',
      '* * test-no-dvm @type:AppVM deny',
      '* * @type:AppVM @default allow target=test-vm3',
      '* * @tag:tag1 @type:AppVM allow',
      '* * test-no-dvm @dispvm allow',
      '* * test-standalone @dispvm allow',
      '* * test-standalone @adminvm allow',
    );
    const cases: Array<[string, string[]]> = [
      [
        'test-vm1',
        [
          'test-vm2',
          'test-vm3',
          '@dispvm:test-vm3',
          'default-dvm',
          '@dispvm:default-dvm',
          'test-invalid-dvm',
          'test-no-dvm',
          'test-template',
          'test-standalone',
        ],
      ],
      ['test-vm2', ['test-vm3']],
      ['test-vm3', []],
      [
        'test-standalone',
        [
          'test-vm1',
          'test-vm2',
          'test-vm3',
          'default-dvm',
          'test-no-dvm',
          'test-invalid-dvm',
          '@dispvm:default-dvm',
          'dom0',
        ],
      ],
      ['test-no-dvm', []],
    ];
    for (const [source, expected] of cases) {
      it(`from ${source}`, () => {
        const p = policies.load(text);
        const req = { service: 'test.Service', argument: '+argument', source, target: '@default' };
        const targets = collectTargetsForAsk(p.rules, resolveRequest(req, p.info), p.info);
        assert.deepEqual([...targets].sort(), [...expected].sort());
      });
    }
  });

  describe('actions (TC_40_evaluate)', () => {
    const text = policyText(
      '* * test-vm1 test-vm2 allow',
      '* * test-vm1 @default allow target=test-vm2',
      '* * @tag:tag1 test-vm2 ask',
      '* * @tag:tag1 test-vm3 ask default_target=test-vm3',
      '* * @tag:tag2 @anyvm allow',
      '* * test-vm3 @anyvm deny',
    );
    const ASK_ALL = [
      '@dispvm:default-dvm',
      '@dispvm:test-vm3',
      'default-dvm',
      'test-invalid-dvm',
      'test-no-dvm',
      'test-template',
      'test-vm1',
      'test-vm2',
      'test-vm3',
    ];

    it('deny notifies unless notify=no', () => {
      const p = policies.load('* * @anyvm @anyvm deny\n');
      assert.deepEqual(p.evaluate('test-vm1', 'test-vm2').denial, {
        stage: 'evaluate',
        message: `denied by policy ${p.at(1)}`,
        notify: true,
      });
      assert.equal(
        policies.load('* * @anyvm @anyvm deny notify=no\n').evaluate('test-vm1', 'test-vm2').denial?.notify,
        false,
      );
    });

    it('allows to the named target, and to the redirect for @default', () => {
      const p = policies.load(text);
      assert.equal(allowTarget(p.evaluate('test-vm1', 'test-vm2')), 'test-vm2');
      const e = p.evaluate('test-vm1', '@default');
      assert.equal(lineOf(e), 2);
      assert.equal(allowTarget(e), 'test-vm2');
      assert.equal(e.requestedTarget?.text, '@default');
    });

    it('refuses an allow that leaves no target', () => {
      const p = policies.load(text);
      assert.equal(
        p.evaluate('test-standalone', '@default').denial?.message,
        `policy define 'allow' action at ${p.at(5)} but no target is specified by caller or policy`,
      );
      const q = policies.load('* * test-vm3 @anyvm allow target=no-such-vm\n');
      assert.equal(
        q.evaluate('test-vm3', '@default').denial?.message,
        `policy define 'allow' action at ${q.at(1)} but no target is specified by caller or policy`,
      );
    });

    it('autostart=no allows a running target only, notifying as the rule says', () => {
      const p = policies.load('* * test-vm1 test-vm2 allow autostart=no\n* * test-vm1 test-vm3 allow autostart=no\n');
      assert.equal(allowTarget(p.evaluate('test-vm1', 'test-vm2')), 'test-vm2');
      assert.deepEqual(p.evaluate('test-vm1', 'test-vm3').denial, {
        stage: 'evaluate',
        message: 'target test-vm3 is denied because it would require autostart',
        notify: false,
      });
    });

    it('asks with every target the policy allows, default_target included', () => {
      const p = policies.load(text);
      const ask = p.evaluate('test-standalone', 'test-vm2');
      assert.equal(lineOf(ask), 3);
      assert.ok(ask.resolution?.kind === 'ask');
      assert.deepEqual([...ask.resolution.targetsForAsk].sort(), ASK_ALL);
      assert.equal(ask.resolution.defaultTarget, null);
      const withDefault = p.evaluate('test-standalone', 'test-vm3');
      assert.ok(withDefault.resolution?.kind === 'ask');
      assert.equal(withDefault.resolution.defaultTarget, 'test-vm3');
      assert.equal(decisionOf(withDefault), 'ask');
    });

    it('refuses an ask with nothing to offer', () => {
      const p = policies.load('* * test-vm3 @default ask\n');
      assert.equal(
        p.evaluate('test-vm3', '@default').denial?.message,
        `policy define 'ask' action at ${p.at(1)} but no target is available to choose from`,
      );
    });

    it('ask autostart=no offers running qubes only', () => {
      const all = policies.load('* * test-vm1 @anyvm ask\n').evaluate('test-vm1', 'test-vm2');
      assert.ok(all.resolution?.kind === 'ask');
      assert.equal(all.resolution.targetsForAsk.length, 9);
      const running = policies.load('* * test-vm1 @anyvm ask autostart=no\n').evaluate('test-vm1', 'test-vm2');
      assert.ok(running.resolution?.kind === 'ask');
      assert.deepEqual(running.resolution.targetsForAsk, ['test-vm2']);
    });

    it('resolves @dispvm through the caller’s default_dispvm', () => {
      for (const rule of ['* * test-vm3 @dispvm allow\n', '* * @anyvm @dispvm allow\n']) {
        const e = policies.load(rule).evaluate('test-vm3', '@dispvm');
        assert.equal(allowTarget(e), '@dispvm:default-dvm');
        assert.equal(e.requestedTarget?.text, '@dispvm');
      }
      const p = policies.load('* * test-no-dvm @dispvm allow\n');
      assert.equal(
        p.evaluate('test-no-dvm', '@dispvm').denial?.message,
        `policy define 'allow' action to @dispvm at ${p.at(1)} but no DispVM base is set for this VM`,
      );
    });

    it('sends @adminvm to dom0', () => {
      const e = policies.load('* * test-vm3 @adminvm allow\n').evaluate('test-vm3', '@adminvm');
      assert.equal(allowTarget(e), 'dom0');
      assert.equal(e.requestedTarget?.text, '@adminvm');
    });

    it('ask target= offers exactly the redirect, unexpanded', () => {
      const e = policies.load('* * @anyvm @anyvm ask target=@dispvm\n').evaluate('test-vm1', 'test-vm2');
      assert.ok(e.resolution?.kind === 'ask');
      assert.deepEqual(e.resolution.targetsForAsk, ['@dispvm']);
      // dom0, @adminvm and uuid:0…0 are all offered as dom0
      for (const dom0 of ['dom0', '@adminvm', `uuid:${UUID.dom0}`]) {
        const admin = policies.load(`* * @anyvm @anyvm ask target=${dom0}\n`).evaluate('test-vm1', 'test-vm2');
        assert.ok(admin.resolution?.kind === 'ask');
        assert.deepEqual(admin.resolution.targetsForAsk, ['dom0']);
      }
    });

    it('expands default_target=@dispvm and @adminvm', () => {
      const e = policies.load('* * @anyvm @anyvm ask default_target=@dispvm\n').evaluate('test-vm1', 'test-vm2');
      assert.ok(e.resolution?.kind === 'ask');
      assert.equal(e.resolution.defaultTarget, '@dispvm:default-dvm');
      const d = policies.load('* * @anyvm * ask default_target=@adminvm\n').evaluate('test-vm1', 'test-vm2');
      assert.ok(d.resolution?.kind === 'ask');
      assert.equal(d.resolution.defaultTarget, 'dom0');
    });
  });

  describe('daemon answers', () => {
    it('allow: the six lines in order, no trailing newline', () => {
      assert.equal(
        policies.load('* * @anyvm @anyvm allow\n').answer('test-vm1', 'test-vm2'),
        `user=DEFAULT\nresult=allow\ntarget=test-vm2\ntarget_uuid=uuid:${UUID.vm2}\nautostart=True\nrequested_target=test-vm2`,
      );
      assert.equal(
        policies.load('* * @anyvm @anyvm allow user=root autostart=no\n').answer('test-vm1', 'test-vm2'),
        `user=root\nresult=allow\ntarget=test-vm2\ntarget_uuid=uuid:${UUID.vm2}\nautostart=False\nrequested_target=test-vm2`,
      );
    });

    it('allow to a disposable and to dom0', () => {
      assert.equal(
        policies.load('* * @anyvm @dispvm allow\n').answer('test-vm1', '@dispvm'),
        'user=DEFAULT\nresult=allow\ntarget=@dispvm:default-dvm\n' +
          `target_uuid=@dispvm:uuid:${UUID.defaultDvm}\nautostart=True\nrequested_target=@dispvm`,
      );
      assert.equal(
        policies.load('* * @anyvm @adminvm allow\n').answer('test-vm1', 'dom0'),
        'user=DEFAULT\nresult=allow\ntarget=dom0\nautostart=True\nrequested_target=dom0',
      );
      // no target_uuid line for dom0, and requested_target as the caller named it
      assert.equal(
        policies.load('* * @anyvm dom0 allow\n').answer('test-vm1', `uuid:${UUID.dom0}`),
        `user=DEFAULT\nresult=allow\ntarget=dom0\nautostart=True\nrequested_target=uuid:${UUID.dom0}`,
      );
    });

    it('deny, no match and a policy error all answer result=deny', () => {
      assert.equal(policies.load('* * @anyvm @anyvm deny\n').answer('test-vm1', 'test-vm2'), 'result=deny');
      assert.equal(policies.load('x * a b deny\n').answer('test-vm1', 'test-vm2'), 'result=deny');
      assert.equal(policies.load('* * @anyvm @anyvm allow bogus\n').answer('test-vm1', 'test-vm2'), 'result=deny');
    });

    it('loopback: refused when executed, allowed under just_evaluate', () => {
      const p = policies.load('* * @anyvm @anyvm allow\n');
      assert.equal(p.answer('test-vm1', 'test-vm1'), 'result=deny');
      // the evaluation allows; only executing it refuses
      const e = p.evaluate('test-vm1', 'test-vm1');
      assert.equal(e.denial, null);
      assert.equal(e.resolution?.kind === 'allow' && e.resolution.target, 'test-vm1');
      assert.equal(p.answer('test-vm1', 'test-vm1', { justEvaluate: true }), 'result=allow');
      assert.equal(policies.load('* * @anyvm * allow target=test-vm1\n').answer('test-vm1', '@default'), 'result=deny');
    });

    it('just_evaluate answers result=allow for allow and result=deny for ask', () => {
      assert.equal(
        policies.load('* * @anyvm @anyvm allow\n').answer('test-vm1', 'test-vm2', { justEvaluate: true }),
        'result=allow',
      );
      assert.equal(
        policies.load('* * @anyvm @anyvm ask\n').answer('test-vm1', 'test-vm2', { justEvaluate: true }),
        'result=deny',
      );
    });

    it('assume_yes_for_ask picks the requested target, which must be on offer', () => {
      const p = policies.load('* * @anyvm @anyvm ask user=u\n');
      assert.equal(
        p.answer('test-vm1', 'test-vm2', { assumeYesForAsk: true }),
        `user=u\nresult=allow\ntarget=test-vm2\ntarget_uuid=uuid:${UUID.vm2}\nautostart=True\nrequested_target=test-vm2`,
      );
      assert.equal(p.answer('test-vm1', 'test-vm2', { assumeYesForAsk: true, justEvaluate: true }), 'result=allow');
      // @default and @dispvm are never on offer: @dispvm was replaced by the caller's template
      const q = policies.load('* * @anyvm * ask\n');
      assert.equal(q.answer('test-vm1', '@default', { assumeYesForAsk: true }), 'result=deny');
      assert.equal(q.answer('test-vm1', '@dispvm', { assumeYesForAsk: true }), 'result=deny');
      // dom0 is offered by * under its name, so naming it is on offer
      assert.equal(
        q.answer('test-vm1', 'dom0', { assumeYesForAsk: true }),
        'user=DEFAULT\nresult=allow\ntarget=dom0\nautostart=True\nrequested_target=dom0',
      );
      assert.equal(q.answer('test-vm1', '@adminvm', { assumeYesForAsk: true }), 'result=deny');
    });

    it('the user’s answer: allow:TARGET from the offer, anything else denies', () => {
      const p = policies.load('* * @anyvm @anyvm ask\n');
      assert.match(p.answer('test-vm1', 'test-vm2', { askResponse: 'allow:test-vm3' }), /\ntarget=test-vm3\n/);
      assert.match(
        p.answer('test-vm1', 'test-vm2', { askResponse: 'allow:@dispvm:default-dvm' }),
        /\ntarget=@dispvm:default-dvm\ntarget_uuid=@dispvm:uuid:/,
      );
      for (const askResponse of ['deny', 'allow:test-vm1', 'allow:dom0', 'allow:', 'yes', undefined]) {
        assert.equal(p.answer('test-vm1', 'test-vm2', { askResponse }), 'result=deny', String(askResponse));
      }
    });

    it('an ask from a qube without a GUI qube is refused', () => {
      const p = policies.load('* * @anyvm * ask\n');
      assert.equal(p.answer('dom0', 'test-vm2', { askResponse: 'allow:test-vm2' }), 'result=deny');
    });
  });
});

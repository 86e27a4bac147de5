import assert from 'node:assert/strict';
import { AccessDeniedError } from '../../../policy/errors';
import { evaluateRequest } from '../../../policy/evaluator/evaluate';
import { view, type EvaluationView as Evaluation } from './evaluation-view';
import { decisionOf } from '../../../policy/evaluator/describe-evaluation';
import { IndexedPolicy } from '../../../policy/evaluator/indexed-policy';
import { parseRuleLine } from '../../../policy/parser/rule';
import { evaluateText, sampleInfo } from './policy-fixtures';

const req = (source: string, target: string, service = 'qubes.S', argument = '+') => ({
  service,
  argument,
  source,
  target,
});
const allowedTo = (e: Evaluation) => (e.resolution?.kind === 'allow' && e.denial === null ? e.resolution.target : null);
const matchedLine = (text: string, r: ReturnType<typeof req>) => evaluateText(text, r).rule?.line ?? null;

describe('policy/evaluator/evaluate', () => {
  describe('source column', () => {
    const cases: Array<[string, string, boolean]> = [
      ['work', 'work', true],
      ['work', 'personal', false],
      ['uuid:11111111-1111-1111-1111-111111111111', 'work', true],
      ['uuid:11111111-1111-1111-1111-111111111111', 'personal', false],
      ['*', 'work', true],
      ['@anyvm', 'work', true],
      ['@type:AppVM', 'work', true],
      ['@type:TemplateVM', 'work', false],
      ['@type:TemplateVM', 'fedora-41', true],
      ['@tag:work', 'work', true],
      ['@tag:work', 'personal', false],
      ['@tag:work', 'ghost', false],
      ['@adminvm', 'work', false],
      ['@dispvm:default-dvm', 'default-dvm', false],
      ['@dispvm:@tag:dvm', 'default-dvm', false],
    ];
    for (const [token, source, match] of cases) {
      it(`${token} ${match ? 'matches' : 'does not match'} ${source}`, () => {
        assert.equal(matchedLine(`qubes.S * ${token} vault allow`, req(source, 'vault')), match ? 1 : null);
      });
    }
  });

  describe('target column', () => {
    const cases: Array<[string, string, boolean]> = [
      ['vault', 'vault', true],
      ['vault', 'personal', false],
      ['uuid:33333333-3333-3333-3333-333333333333', 'vault', true],
      ['*', 'dom0', true],
      ['*', '@dispvm', true],
      ['@anyvm', 'vault', true],
      ['@anyvm', 'dom0', false],
      ['@anyvm', '@adminvm', false],
      ['@anyvm', '@dispvm', true],
      ['@anyvm', '', true],
      ['@adminvm', 'dom0', true],
      ['dom0', '@adminvm', true],
      ['@default', '', true],
      ['@default', 'ghost', true],
      ['@default', 'vault', false],
      ['@type:AdminVM', 'dom0', true],
      ['@anyvm', 'dom0', false],
      ['@adminvm', 'uuid:00000000-0000-0000-0000-000000000000', true],
      ['@type:AppVM', 'vault', true],
      ['@tag:home', 'personal', true],
      ['@dispvm', '@dispvm', true],
      ['@dispvm', '@dispvm:default-dvm', false],
      ['@dispvm:default-dvm', '@dispvm:default-dvm', true],
      ['@dispvm:default-dvm', '@dispvm', true],
      ['@dispvm:other-dvm', '@dispvm', false],
      ['@dispvm:uuid:44444444-4444-4444-4444-444444444444', '@dispvm:default-dvm', true],
      // @dispvm is compared with @dispvm:DEFAULT_DISPVM as strings: a uuid form does not match it
      ['@dispvm:uuid:44444444-4444-4444-4444-444444444444', '@dispvm', false],
      ['@dispvm:default-dvm', '@dispvm:uuid:44444444-4444-4444-4444-444444444444', true],
      ['@dispvm:@tag:dvm', '@dispvm:default-dvm', true],
      ['@dispvm:@tag:dvm', '@dispvm', true],
      ['@dispvm:@tag:dvm', '@dispvm:other-dvm', false],
      ['@dispvm:@tag:dvm', 'default-dvm', false],
    ];
    for (const [token, target, match] of cases) {
      it(`${token} ${match ? 'matches' : 'does not match'} ${JSON.stringify(target)}`, () => {
        assert.equal(matchedLine(`qubes.S * work ${token} deny`, req('work', target)), match ? 1 : null);
      });
    }
  });

  describe('service and argument', () => {
    const text = 'qubes.S +a work vault deny\nqubes.S * work vault allow\n';
    it('matches the argument exactly', () => assert.equal(matchedLine(text, req('work', 'vault', 'qubes.S', '+a')), 1));
    it('falls through to *', () => assert.equal(matchedLine(text, req('work', 'vault', 'qubes.S', '+b')), 2));
    it('treats a missing argument as +', () => {
      assert.equal(matchedLine('qubes.S + work vault deny', req('work', 'vault', 'qubes.S', '+')), 1);
    });
    it('* service matches any service, in file order with specific rules', () => {
      const t = 'qubes.A * work vault allow\n* * work vault deny\nqubes.B * work vault allow\n';
      assert.equal(matchedLine(t, req('work', 'vault', 'qubes.A')), 1);
      assert.equal(matchedLine(t, req('work', 'vault', 'qubes.B')), 2);
      assert.equal(matchedLine(t, req('work', 'vault', 'qubes.C')), 2);
    });
  });

  describe('request target verification', () => {
    it('turns an unknown qube into @default', () => {
      const e = evaluateText('qubes.S * work @default allow target=vault', req('work', 'ghost'));
      assert.equal(allowedTo(e), 'vault');
      assert.equal(e.requestedTarget?.text, '@default');
    });
    it('resolves uuid:UUID to the qube', () => {
      const e = evaluateText('qubes.S * work vault allow', req('work', 'uuid:33333333-3333-3333-3333-333333333333'));
      // upstream keeps the uuid form, in the resolution and in requested_target
      assert.equal(allowedTo(e), 'uuid:33333333-3333-3333-3333-333333333333');
      assert.equal(e.requestedTarget?.text, 'uuid:33333333-3333-3333-3333-333333333333');
    });
    it('refuses @dispvm:X when X is no disposable template', () => {
      const e = evaluateText('qubes.S * work * allow', req('work', '@dispvm:vault'));
      assert.deepEqual(e.denial, { stage: 'request', message: 'not a template for dispvm: vault', notify: true });
    });
    it('refuses keywords that cannot be a target', () => {
      const e = evaluateText('qubes.S * work * allow', req('work', '@anyvm'));
      assert.equal(e.denial?.message, "<unknown>:0: invalid intendedtarget token: '@anyvm'");
      assert.equal(e.denial?.stage, 'request');
    });
  });

  describe('deny', () => {
    it('denies with file:line and notifies by default', () => {
      const e = evaluateText('qubes.S * work vault deny', req('work', 'vault'));
      assert.equal(e.denial?.stage, 'evaluate');
      assert.match(e.denial?.message ?? '', /^denied by policy \/.*\/30-test\.policy:1$/);
      assert.equal(e.denial?.notify, true);
      assert.equal(decisionOf(e), 'deny');
    });
    it('honours notify=no', () => {
      assert.equal(evaluateText('qubes.S * work vault deny notify=no', req('work', 'vault')).denial?.notify, false);
    });
    it('denies when nothing matches', () => {
      const e = evaluateText('qubes.S * work vault allow', req('personal', 'vault'));
      assert.deepEqual(e.denial, { stage: 'match', message: 'no matching rule found', notify: true });
      assert.equal(e.rule, null);
    });
    it('denies every request when the policy did not load', () => {
      const e = view(evaluateRequest(new AccessDeniedError('x.policy:3: bad'), sampleInfo(), req('work', 'vault')));
      assert.deepEqual(e.denial, { stage: 'load', message: 'x.policy:3: bad', notify: true });
    });
  });

  describe('allow', () => {
    it('allows to the intended target with the defaults', () => {
      const e = evaluateText('qubes.S * work vault allow', req('work', 'vault'));
      assert.deepEqual(e.resolution, { kind: 'allow', target: 'vault', user: null, autostart: true, notify: false });
    });
    it('redirects with target=', () => {
      assert.equal(
        allowedTo(evaluateText('qubes.S * work @anyvm allow target=vault', req('work', 'personal'))),
        'vault',
      );
    });
    it('needs a target from the caller or the policy', () => {
      const e = evaluateText('qubes.S * work @anyvm allow', req('work', ''));
      assert.match(
        e.denial?.message ?? '',
        /^policy define 'allow' action at .*30-test\.policy:1 but no target is specified by caller or policy$/,
      );
    });
    it('expands @dispvm through the source default_dispvm', () => {
      assert.equal(
        allowedTo(evaluateText('qubes.S * work @dispvm allow', req('work', '@dispvm'))),
        '@dispvm:default-dvm',
      );
      const none = evaluateText('qubes.S * vault @dispvm allow', req('vault', '@dispvm'));
      assert.match(none.denial?.message ?? '', /^policy define 'allow' action to @dispvm at .* but no DispVM base/);
    });
    it('turns @adminvm into dom0', () => {
      assert.equal(allowedTo(evaluateText('qubes.S * work @adminvm allow', req('work', 'dom0'))), 'dom0');
      assert.equal(allowedTo(evaluateText('qubes.S * work @anyvm allow target=dom0', req('work', 'x'))), 'dom0');
    });
    it('a redirect to an unknown qube is no target', () => {
      const e = evaluateText('qubes.S * work @anyvm allow target=ghost', req('work', 'vault'));
      assert.match(e.denial?.message ?? '', /no target is specified by caller or policy$/);
    });
    it('autostart=no allows a running target only', () => {
      assert.equal(
        allowedTo(evaluateText('qubes.S * work @anyvm allow autostart=no', req('work', 'personal'))),
        'personal',
      );
      const halted = evaluateText('qubes.S * work @anyvm allow autostart=no notify=yes', req('work', 'vault'));
      assert.deepEqual(halted.denial, {
        stage: 'evaluate',
        message: 'target vault is denied because it would require autostart',
        notify: true,
      });
      const dvm = evaluateText('qubes.S * work @dispvm allow autostart=no', req('work', '@dispvm'));
      assert.match(dvm.denial?.message ?? '', /^target @dispvm:default-dvm is denied/);
      assert.equal(allowedTo(evaluateText('qubes.S * work @adminvm allow autostart=no', req('work', 'dom0'))), 'dom0');
    });
    it('carries user=', () => {
      const e = evaluateText('qubes.S * work vault allow user=root', req('work', 'vault'));
      assert.equal(e.resolution?.user, 'root');
    });
    it('allows a loopback call: only executing it refuses (see the daemon answer tests)', () => {
      const e = evaluateText('qubes.S * work @anyvm allow target=work', req('work', 'vault'));
      assert.equal(decisionOf(e), 'allow');
      assert.equal(allowedTo(e), 'work');
    });
  });

  describe('ask', () => {
    const targets = (text: string, r = req('work', '')) => {
      const e = evaluateText(text, r);
      return e.resolution?.kind === 'ask' ? [...e.resolution.targetsForAsk].sort() : e.denial?.message;
    };
    it('offers every target a rule would allow, minus the source, with @dispvm expanded', () => {
      assert.deepEqual(targets('qubes.S * work @anyvm ask'), [
        '@dispvm:default-dvm',
        '@dispvm:other-dvm',
        'default-dvm',
        'fedora-41',
        'other-dvm',
        'personal',
        'vault',
      ]);
    });
    it('lets an earlier deny remove what a later rule offers', () => {
      const text = 'qubes.S * work @tag:home deny\nqubes.S * work @type:AppVM allow\nqubes.S * work @default ask\n';
      assert.deepEqual(targets(text), ['default-dvm', 'other-dvm', 'vault']);
    });
    it('lets a later deny be overridden by an earlier allow', () => {
      assert.deepEqual(
        targets('qubes.S * work vault allow\nqubes.S * work @default ask\nqubes.S * work vault deny\n'),
        ['vault'],
      );
    });
    it('ignores rules of other services and sources', () => {
      assert.deepEqual(
        targets(
          'qubes.T * work personal allow\nqubes.S * personal vault allow\nqubes.S * work @default ask target=vault\n',
        ),
        ['vault'],
      );
    });
    it('removes only the string a deny expands to: a deny of @adminvm leaves dom0 offered by *', () => {
      const offered = targets('qubes.S * work @default ask\nqubes.S * work * allow\n');
      assert.ok(Array.isArray(offered) && offered.includes('dom0'));
      // * offers dom0 by name; the deny removes "@adminvm", so dom0 stays (upstream 4.4.2)
      const adminDeny = targets('qubes.S * work @default ask\nqubes.S * work @adminvm deny\nqubes.S * work * allow\n');
      assert.ok(Array.isArray(adminDeny) && adminDeny.includes('dom0') && adminDeny.includes('vault'));
      const dom0Deny = targets('qubes.S * work @default ask\nqubes.S * work dom0 deny\nqubes.S * work * allow\n');
      assert.ok(Array.isArray(dom0Deny) && !dom0Deny.includes('dom0') && dom0Deny.includes('vault'));
    });
    it('offers dom0 for @adminvm and a redirect as is', () => {
      assert.deepEqual(targets('qubes.S * work @adminvm allow\nqubes.S * work @default ask\n'), ['dom0']);
      assert.deepEqual(targets('qubes.S * work @default ask target=@dispvm'), ['@dispvm']);
    });
    it('resolves default_target @dispvm and @adminvm', () => {
      const e = evaluateText(
        'qubes.S * work @dispvm:default-dvm allow\nqubes.S * work @default ask default_target=@dispvm',
        req('work', ''),
      );
      assert.equal(e.resolution?.kind === 'ask' && e.resolution.defaultTarget, '@dispvm:default-dvm');
      // both the offered redirect and the default become dom0
      const a = evaluateText('qubes.S * work @default ask target=@adminvm default_target=@adminvm', req('work', ''));
      assert.ok(a.resolution?.kind === 'ask');
      assert.deepEqual(a.resolution.targetsForAsk, ['dom0']);
      assert.equal(a.resolution.defaultTarget, 'dom0');
    });
    it('still asks, without a default, when default_target is not offered', () => {
      const e = evaluateText('qubes.S * work @default ask target=vault default_target=personal', req('work', ''));
      assert.equal(decisionOf(e), 'ask');
      assert.ok(e.resolution?.kind === 'ask');
      assert.deepEqual(e.resolution.targetsForAsk, ['vault']);
      assert.equal(e.resolution.defaultTarget, null);
    });
    it('needs at least one target', () => {
      assert.match(
        String(targets('qubes.S * work @default ask')),
        /^policy define 'ask' action at .*:1 but no target is available to choose from$/,
      );
    });
    it('autostart=no offers running targets only', () => {
      assert.deepEqual(targets('qubes.S * work @type:AppVM allow\nqubes.S * work @default ask autostart=no'), [
        'personal',
      ]);
    });
  });

  describe('indexing', () => {
    it('keeps wildcard rules interleaved in file order for every service', () => {
      const origin = (line: number) => ({ file: 'f', line, relFile: 'f' });
      const rules = [
        parseRuleLine('* * @anyvm @anyvm deny', origin(1)),
        parseRuleLine('a * @anyvm @anyvm allow', origin(2)),
        parseRuleLine('* * work @anyvm allow', origin(3)),
        parseRuleLine('b * @anyvm @anyvm allow', origin(4)),
      ];
      const p = new IndexedPolicy(rules);
      assert.deepEqual(
        p.rulesFor('a').map((r) => r.line),
        [1, 2, 3],
      );
      assert.deepEqual(
        p.rulesFor('b').map((r) => r.line),
        [1, 3, 4],
      );
      assert.deepEqual(
        p.rulesFor('c').map((r) => r.line),
        [1, 3],
      );
    });
  });
});

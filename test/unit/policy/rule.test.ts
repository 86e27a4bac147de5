import assert from 'node:assert/strict';
import { PolicySyntaxError } from '../../../policy/errors';
import { parseRuleLine, parseServiceRuleLine } from '../../../policy/parser/rule';

const origin = { file: '/etc/qubes/policy.d/30-x.policy', line: 7, relFile: '30-x.policy' };
const fails = (line: string, detail: string) =>
  assert.throws(
    () => parseRuleLine(line, origin),
    (err: unknown) => err instanceof PolicySyntaxError && err.message === `${origin.file}:7: ${detail}`,
  );

describe('policy/parser/rule', () => {
  it('parses the five columns and keeps the origin', () => {
    const r = parseRuleLine('qubes.Filecopy +arg work @anyvm ask default_target=vault user=root', origin);
    assert.equal(r.service, 'qubes.Filecopy');
    assert.equal(r.argument, '+arg');
    assert.equal(r.source.text, 'work');
    assert.equal(r.target.kind, 'anyvm');
    assert.equal(r.action.type, 'ask');
    assert.equal(r.line, 7);
    assert.equal(r.relFile, '30-x.policy');
    if (r.action.type !== 'ask') return;
    assert.equal(r.action.defaultTarget?.text, 'vault');
    assert.equal(r.action.user, 'root');
  });

  it('turns * service and argument into wildcards', () => {
    const r = parseRuleLine('* * @anyvm @anyvm deny', origin);
    assert.equal(r.service, null);
    assert.equal(r.argument, null);
  });

  it('applies upstream defaults: deny notifies, allow and ask do not and autostart', () => {
    const d = parseRuleLine('s * a b deny', origin).action;
    assert.deepEqual(d, { type: 'deny', notify: true });
    const a = parseRuleLine('s * a b allow', origin).action;
    assert.deepEqual(a, { type: 'allow', target: null, user: null, notify: false, autostart: true });
    const k = parseRuleLine('s * a b ask notify=yes autostart=no', origin).action;
    assert.equal(k.type === 'ask' && k.notify && !k.autostart, true);
  });

  it('needs five fields', () => fails('s * a b', 'wrong number of fields'));
  it('rejects bad service characters, sorted and unique', () =>
    fails('s$x!$ * a b deny', `service 's$x!$' contains invalid characters: ('!', '$')`));
  it('rejects + in a service name', () => fails('a+b * a b deny', `service 'a+b' contains invalid characters: ('+',)`));
  it('rejects bad argument characters', () =>
    fails('s +a/b a b deny', `argument '+a/b' contains invalid characters: ('/',)`));
  it('needs + before an argument', () => fails('s arg a b deny', `argument 'arg' does not start with +`));
  it('allows only * argument for * service', () => fails('* +x a b deny', 'only * argument allowed for * service'));
  it('rejects an unknown action', () => fails('s * a b permit', 'invalid action: permit'));
  it('rejects a parameter without =', () => fails('s * a b allow target', `invalid action parameter syntax: 'target'`));
  it('rejects a repeated parameter', () => fails('s * a b allow user=a user=b', `parameter given twice: 'user'`));
  it('rejects non yes/no booleans', () => {
    fails('s * a b allow notify=1', `'notify' is '1', but can be only 'yes' or 'no'`);
    fails('s * a b deny autostart=true', `'autostart' is 'true', but can be only 'yes' or 'no'`);
  });
  it('rejects parameters the action does not take', () => {
    fails('s * a b deny target=x', `invalid parameters for action Deny: ['target=x']`);
    fails(
      's * a b allow default_target=x user=u',
      `invalid parameters for action Allow: ['default_target=x', 'user=u']`,
    );
    fails('s * a b ask foo=bar', `invalid parameters for action Ask: ['foo=bar']`);
  });
  it('checks redirect tokens', () => {
    fails('s * a b allow target=@anyvm', `invalid redirect token: '@anyvm'`);
    fails('s * a b ask default_target=@tag:x', `invalid redirect token: '@tag:x'`);
  });
  it('needs target= for allow on @default', () => {
    fails('s * a @default allow', 'allow action for @default rule must specify target= option');
    assert.equal(parseRuleLine('s * a @default allow target=vault', origin).action.type, 'allow');
    assert.equal(parseRuleLine('s * a @default ask', origin).action.type, 'ask');
  });
  it('checks columns in upstream order: service, argument, source, target, action', () => {
    fails('s! +a! @x @y nope', `service 's!' contains invalid characters: ('!',)`);
    fails('s +a! @x @y nope', `argument '+a!' contains invalid characters: ('!',)`);
    fails('s +a @x @y nope', `invalid source token: '@x'`);
    fails('s +a x @y nope', `invalid target token: '@y'`);
  });

  describe('4.0 format under !include-service', () => {
    it('splits action parameters on commas', () => {
      const r = parseServiceRuleLine('qubes.X', '+y', '@anyvm @dispvm allow,user=root,notify=yes', origin);
      assert.equal(r.service, 'qubes.X');
      assert.equal(r.argument, '+y');
      assert.deepEqual(r.action, { type: 'allow', target: null, user: 'root', notify: true, autostart: true });
    });
    it('needs source, target and action', () => {
      assert.throws(() => parseServiceRuleLine('s', null, '@anyvm', origin), { message: /wrong number of fields$/ });
      assert.throws(() => parseServiceRuleLine('s', null, '@anyvm @anyvm', origin), {
        message: /wrong number of fields$/,
      });
    });
  });
});

import assert from 'node:assert/strict';
import { PolicySyntaxError } from '../../../../policy/errors';
import { expandTarget, matchTarget } from '../../../../policy/evaluator/match-token';
import { parseVmToken, type TokenContext } from '../../../../policy/parser/vm-token';
import { PolicyUnderTest, upstreamInfo } from './upstream-fixtures';

/** The message upstream raises for `token` in `context`, or null when the token is accepted. */
function tokenError(token: string, context: TokenContext): string | null {
  try {
    parseVmToken(token, context, { file: 'f', line: 3 });
    return null;
  } catch (err) {
    assert.ok(err instanceof PolicySyntaxError, String(err));
    return err.message;
  }
}

// Which token may stand in which place, as upstream's VMToken class hierarchy allows.
const ACCEPTED: Record<TokenContext, string[]> = {
  source: [
    'test-vm1',
    '@adminvm',
    'dom0',
    '@anyvm',
    '*',
    '@type:AppVM',
    '@tag:tag1',
    '@dispvm:default-dvm',
    '@dispvm:@tag:tag3',
  ],
  target: [
    'test-vm1',
    '@adminvm',
    'dom0',
    '@anyvm',
    '*',
    '@default',
    '@type:AppVM',
    '@tag:tag1',
    '@dispvm',
    '@dispvm:default-dvm',
    '@dispvm:@tag:tag3',
  ],
  redirect: ['test-vm1', '@adminvm', 'dom0', '@dispvm', '@dispvm:default-dvm'],
  intendedtarget: ['test-vm1', '@adminvm', 'dom0', '@default', '@dispvm', '@dispvm:default-dvm'],
};
const ALL = [...ACCEPTED.target, '@invalid'];
/** Where an empty prefixed token gets its own message: the columns where the prefix is valid. */
const EMPTY_NAMED: Record<string, TokenContext[]> = {
  '@dispvm:': ['source', 'target', 'redirect', 'intendedtarget'],
  '@dispvm:@tag:': ['source', 'target'],
  '@tag:': ['source', 'target'],
  '@type:': ['source', 'target'],
};

describe('conformance: tokens', () => {
  for (const context of Object.keys(ACCEPTED) as TokenContext[]) {
    describe(`${context} column`, () => {
      for (const token of ALL) {
        const ok = ACCEPTED[context].includes(token);
        it(`${ok ? 'accepts' : 'refuses'} ${token}`, () => {
          assert.equal(tokenError(token, context), ok ? null : `f:3: invalid ${context} token: '${token}'`);
        });
      }
      for (const prefix of ['@dispvm:', '@dispvm:@tag:', '@tag:', '@type:']) {
        const named = EMPTY_NAMED[prefix].includes(context);
        it(`refuses an empty ${prefix} token${named ? ', naming the prefix' : ''}`, () => {
          const expected = named ? `invalid empty ${prefix} token` : `invalid ${context} token`;
          assert.equal(tokenError(prefix, context), `f:3: ${expected}: '${prefix}'`);
        });
      }
    });
  }

  it('keeps dom0 as written (it matches like @adminvm) and names the token as written', () => {
    assert.equal(parseVmToken('dom0', 'source').text, 'dom0');
    assert.equal(parseVmToken('dom0', 'source').kind, 'name');
    assert.equal(tokenError('@dispvm:@foo', 'target'), "f:3: invalid target token: '@dispvm:@foo'");
    assert.equal(tokenError('*', 'redirect'), "f:3: invalid redirect token: '*'");
  });

  describe('expansion for ask (Target.expand)', () => {
    const info = upstreamInfo();
    const expand = (t: string) => expandTarget(parseVmToken(t, 'target'), info).sort();
    const cases: Array<[string, string[]]> = [
      ['test-vm1', ['test-vm1']],
      ['@adminvm', ['@adminvm']],
      ['dom0', ['dom0']],
      ['uuid:00000000-0000-0000-0000-000000000000', ['dom0']],
      [
        '@anyvm',
        [
          'test-vm1',
          'test-vm2',
          'test-vm3',
          '@dispvm:test-vm3',
          'default-dvm',
          '@dispvm:default-dvm',
          'test-invalid-dvm',
          'test-no-dvm',
          'test-template',
          'test-standalone',
          '@dispvm',
        ],
      ],
      ['@default', []],
      ['@type:AppVM', ['test-vm1', 'test-vm2', 'test-vm3', 'default-dvm', 'test-invalid-dvm', 'test-no-dvm']],
      ['@type:TemplateVM', ['test-template']],
      ['@tag:tag1', ['test-vm1', 'test-invalid-dvm', 'test-template', 'test-standalone', 'test-no-dvm']],
      ['@tag:no-such-tag', []],
      ['@dispvm', ['@dispvm']],
      ['@dispvm:default-dvm', ['@dispvm:default-dvm']],
      ['@dispvm:test-vm1', []],
      ['@dispvm:@tag:tag1', []],
      ['@dispvm:@tag:tag3', ['@dispvm:test-vm3']],
    ];
    for (const [token, expected] of cases) {
      it(`${token} expands to ${expected.length} targets`, () => assert.deepEqual(expand(token), [...expected].sort()));
    }
    it('* also offers dom0, by name', () => assert.ok(expand('*').includes('dom0')));
  });

  describe('matching a verified request target', () => {
    const info = upstreamInfo();
    const verified = (t: string) => parseVmToken(t, 'intendedtarget');
    const cases: Array<[string, string, boolean]> = [
      ['@anyvm', 'test-vm1', true],
      ['@anyvm', '@default', true],
      ['@default', '@default', true],
      ['@tag:tag1', 'test-vm1', true],
      ['@type:AppVM', 'test-vm1', true],
      ['@type:TemplateVM', 'test-template', true],
      ['@anyvm', '@dispvm', true],
      ['@anyvm', '@dispvm:default-dvm', true],
      ['@dispvm', '@dispvm', true],
      ['@dispvm:@tag:tag3', '@dispvm:test-vm3', true],
      ['@adminvm', '@adminvm', true],
      ['@adminvm', 'dom0', true],
      ['dom0', '@adminvm', true],
      ['dom0', 'dom0', true],
      ['@dispvm:default-dvm', '@dispvm:default-dvm', true],
      ['@default', 'test-vm1', false],
      ['@tag:tag1', 'test-vm3', false],
      ['@dispvm:@tag:tag1', '@dispvm:test-vm3', false],
      ['@dispvm:@tag:tag3', '@dispvm:default-dvm', false],
      ['@anyvm', 'dom0', false],
      ['@anyvm', '@adminvm', false],
      ['@tag:dom0-tag', '@adminvm', false],
      ['@type:AdminVM', '@adminvm', false],
      // by name, dom0 is a qube like any other for @tag: and @type:
      ['@tag:dom0-tag', 'dom0', true],
      ['@type:AdminVM', 'dom0', true],
      ['@type:AdminVM', 'uuid:00000000-0000-0000-0000-000000000000', true],
      ['@anyvm', 'dom0', false],
      ['@anyvm', 'uuid:00000000-0000-0000-0000-000000000000', false],
      ['@adminvm', 'dom0', true],
      ['dom0', '@adminvm', true],
      ['uuid:00000000-0000-0000-0000-000000000000', '@adminvm', true],
      ['@dispvm', 'test-vm1', false],
      ['@dispvm', 'default-dvm', false],
      ['@dispvm:default-dvm', 'default-dvm', false],
    ];
    for (const [token, target, match] of cases) {
      it(`${token} ${match ? 'matches' : 'does not match'} ${target}`, () => {
        assert.equal(matchTarget(parseVmToken(token, 'target'), verified(target), 'test-vm1', info), match);
      });
    }
    it('@dispvm:NAME and @dispvm:@tag: see @dispvm through the caller’s default_dispvm', () => {
      assert.equal(
        matchTarget(parseVmToken('@dispvm:default-dvm', 'target'), verified('@dispvm'), 'test-vm1', info),
        true,
      );
      assert.equal(
        matchTarget(parseVmToken('@dispvm:test-vm3', 'target'), verified('@dispvm'), 'test-vm1', info),
        false,
      );
      assert.equal(
        matchTarget(parseVmToken('@dispvm:@tag:tag3', 'target'), verified('@dispvm'), 'test-vm1', info),
        false,
      );
    });
  });

  describe('request target verification', () => {
    let policy: PolicyUnderTest;
    before(() => {
      policy = new PolicyUnderTest('* * @anyvm * allow\n');
    });
    after(() => policy.dispose());

    it('treats an unknown qube, or one with stray whitespace, as @default', () => {
      for (const target of ['no-such-vm', 'test-vm1\n', 'test-vm1  ']) {
        assert.equal(policy.evaluate('test-vm1', target).requestedTarget?.text, '@default', JSON.stringify(target));
      }
    });
    it('refuses tokens a caller may not name, with upstream’s message', () => {
      for (const target of ['@type:AppVM', '@anyvm', '@tag:tag1', '@dispvm:@tag:tag1', '@invalid']) {
        assert.deepEqual(policy.evaluate('test-vm1', target).denial, {
          stage: 'request',
          message: `<unknown>:0: invalid intendedtarget token: '${target}'`,
          notify: true,
        });
      }
    });
    it('refuses @dispvm:NAME unless NAME is a disposable template', () => {
      for (const name of ['test-invalid-dvm', 'test-vm1', 'no-such-vm']) {
        assert.equal(
          policy.evaluate('test-vm1', `@dispvm:${name}`).denial?.message,
          `not a template for dispvm: ${name}`,
        );
      }
    });
    it('reads an empty target as @default and keeps dom0 as given', () => {
      assert.equal(policy.evaluate('test-vm1', '').requestedTarget?.text, '@default');
      assert.equal(policy.evaluate('test-vm1', 'dom0').requestedTarget?.text, 'dom0');
    });
  });
});

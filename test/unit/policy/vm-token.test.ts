import assert from 'node:assert/strict';
import { PolicySyntaxError } from '../../../policy/errors';
import { parseVmToken, type TokenContext, type TokenKind } from '../../../policy/parser/vm-token';

const CONTEXTS: TokenContext[] = ['source', 'target', 'redirect', 'intendedtarget'];

// Which token may appear where, per upstream's token class hierarchy.
const TABLE: Array<[string, TokenKind, TokenContext[]]> = [
  ['work', 'name', CONTEXTS],
  ['uuid:11111111-1111-1111-1111-111111111111', 'name', CONTEXTS],
  ['*', 'wildcard', ['source', 'target']],
  ['@adminvm', 'adminvm', CONTEXTS],
  ['@anyvm', 'anyvm', ['source', 'target']],
  ['@default', 'default', ['target', 'intendedtarget']],
  ['@type:AppVM', 'type', ['source', 'target']],
  ['@tag:work', 'tag', ['source', 'target']],
  ['@dispvm', 'dispvm', ['target', 'redirect', 'intendedtarget']],
  ['@dispvm:default-dvm', 'dispvm-template', CONTEXTS],
  ['@dispvm:@tag:dvm', 'dispvm-tag', ['source', 'target']],
];

describe('policy/parser/vm-token', () => {
  for (const [text, kind, allowed] of TABLE) {
    for (const context of CONTEXTS) {
      if (allowed.includes(context)) {
        it(`accepts ${text} as ${context}`, () => {
          assert.equal(parseVmToken(text, context).kind, kind);
        });
      } else {
        it(`rejects ${text} as ${context} with upstream's message`, () => {
          assert.throws(
            () => parseVmToken(text, context, { file: '/p/a.policy', line: 3 }),
            (err: unknown) =>
              err instanceof PolicySyntaxError && err.message === `/p/a.policy:3: invalid ${context} token: '${text}'`,
          );
        });
      }
    }
  }

  it('keeps dom0 a plain name everywhere (it matches like @adminvm)', () => {
    for (const context of CONTEXTS)
      assert.deepEqual(parseVmToken('dom0', context), { kind: 'name', text: 'dom0', value: 'dom0' });
  });

  it('refuses an empty token, naming its context', () => {
    assert.throws(() => parseVmToken('', 'redirect', { file: 'f', line: 2 }), {
      message: 'f:2: invalid empty redirect token',
    });
  });

  it('keeps the suffix of prefixed tokens as value', () => {
    assert.equal(parseVmToken('@tag:a-b', 'source').value, 'a-b');
    assert.equal(parseVmToken('@dispvm:@tag:t', 'target').value, 't');
    assert.equal(parseVmToken('@dispvm:x', 'redirect').value, 'x');
  });

  it('names an empty prefixed token', () => {
    assert.throws(() => parseVmToken('@tag:', 'source', { file: 'f', line: 1 }), {
      message: "f:1: invalid empty @tag: token: '@tag:'",
    });
    assert.throws(() => parseVmToken('@dispvm:@tag:', 'target', { file: 'f', line: 2 }), {
      message: "f:2: invalid empty @dispvm:@tag: token: '@dispvm:@tag:'",
    });
    assert.throws(() => parseVmToken('@dispvm:', 'redirect', { file: 'f', line: 2 }), {
      message: "f:2: invalid empty @dispvm: token: '@dispvm:'",
    });
  });

  it('rejects unknown keywords and @-values after a prefix', () => {
    assert.throws(() => parseVmToken('@foo', 'source', { file: 'f', line: 1 }), {
      message: "f:1: invalid source token: '@foo'",
    });
    assert.throws(() => parseVmToken('@tag:@x', 'target', { file: 'f', line: 1 }), {
      message: "f:1: invalid target token: '@tag:@x'",
    });
    assert.throws(() => parseVmToken('@dispvm:@tag:x', 'redirect', { file: 'f', line: 1 }), {
      message: "f:1: invalid redirect token: '@dispvm:@tag:x'",
    });
  });

  it('reports tokens outside any file as <unknown>:0, as upstream does for requests', () => {
    assert.throws(() => parseVmToken('@anyvm', 'intendedtarget'), {
      message: "<unknown>:0: invalid intendedtarget token: '@anyvm'",
    });
  });
});

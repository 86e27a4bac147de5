import assert from 'node:assert/strict';
import { PolicyUnderTest } from './upstream-fixtures';

/** Loads one line of the current format and returns upstream's error for it (null when it loads). */
function lineError(line: string): string | null {
  const policy = new PolicyUnderTest(`${line}\n`);
  try {
    return policy.state instanceof Error ? policy.loadError : null;
  } finally {
    policy.dispose();
  }
}

/** The same for a line of the 4.0 format, read through `!include-service test.Service +argument`. */
function serviceLineError(line: string): string | null {
  const policy = new PolicyUnderTest('!include-service test.Service +argument old\n', { 'policy.d/old': `${line}\n` });
  try {
    return policy.state instanceof Error ? policy.loadError : null;
  } finally {
    policy.dispose();
  }
}

const MAIN = 'ROOT/policy.d/50-test.policy:1';
const OLD = 'ROOT/policy.d/old:1';

describe('conformance: rule syntax', () => {
  describe('upstream’s invalid lines, with the message each one gets', () => {
    const cases: Array<[string, string]> = [
      ['test.Service +argument @dispvm @default allow', "invalid source token: '@dispvm'"],
      ['test.Service +argument @default @default allow', "invalid source token: '@default'"],
      [
        'test.Service +argument @anyvm @default allow,target=@dispvm:@tag:tag1',
        'invalid action: allow,target=@dispvm:@tag:tag1',
      ],
      ['test.Service +argument @anyvm @default deny,target=test-vm1', 'invalid action: deny,target=test-vm1'],
      ['test.Service +argument @anyvm @anyvm deny user=user', "invalid parameters for action Deny: ['user=user']"],
      ['test.Service +argument @anyvm @anyvm invalid', 'invalid action: invalid'],
      ['test.Service +argument @anyvm @anyvm allow invalid=xx', "invalid parameters for action Allow: ['invalid=xx']"],
      ['test.Service +argument @anyvm @anyvm', 'wrong number of fields'],
      [
        'test.Service +argument @anyvm @anyvm allow default_target=test-vm1',
        "invalid parameters for action Allow: ['default_target=test-vm1']",
      ],
      ['test.Service +argument @invalid @anyvm allow', "invalid source token: '@invalid'"],
      ['test.Service +argument @anyvm @invalid deny', "invalid target token: '@invalid'"],
      ['test.Service +argument @anyvm @anyvm allow extra', "invalid action parameter syntax: 'extra'"],
      ['test.Service +argument @anyvm @default allow', 'allow action for @default rule must specify target= option'],
      ['test.Service +argument @anyvm @anyvm allow notify', "invalid action parameter syntax: 'notify'"],
      ['test.Service +argument @anyvm @anyvm allow notify=xx', "'notify' is 'xx', but can be only 'yes' or 'no'"],
      ['* +argument @anyvm @default allow', 'only * argument allowed for * service'],
    ];
    for (const [line, message] of cases) {
      it(line, () => assert.equal(lineError(line), `${MAIN}: ${message}`));
    }
  });

  describe('the same in the 4.0 format, where commas separate parameters', () => {
    const cases: Array<[string, string]> = [
      ['@dispvm @default allow', "invalid source token: '@dispvm'"],
      ['@default @default allow', "invalid source token: '@default'"],
      ['@anyvm @default allow,target=@dispvm:@tag:tag1', "invalid redirect token: '@dispvm:@tag:tag1'"],
      ['@anyvm @default allow,target=@tag:tag1', "invalid redirect token: '@tag:tag1'"],
      ['@anyvm @default deny,target=test-vm1', "invalid parameters for action Deny: ['target=test-vm1']"],
      ['@anyvm @anyvm deny,default_target=test-vm1', "invalid parameters for action Deny: ['default_target=test-vm1']"],
      ['@anyvm @anyvm deny,user=user', "invalid parameters for action Deny: ['user=user']"],
      ['@anyvm @anyvm invalid', 'invalid action: invalid'],
      ['@anyvm @anyvm allow,invalid=xx', "invalid parameters for action Allow: ['invalid=xx']"],
      ['@anyvm @anyvm', 'wrong number of fields'],
      ['@anyvm', 'wrong number of fields'],
      [
        '@anyvm @anyvm allow,default_target=test-vm1',
        "invalid parameters for action Allow: ['default_target=test-vm1']",
      ],
      ['@invalid @anyvm allow', "invalid source token: '@invalid'"],
      ['@anyvm @invalid deny', "invalid target token: '@invalid'"],
      ['@anyvm @anyvm allow extra', "invalid action parameter syntax: 'extra'"],
      ['@anyvm @default allow', 'allow action for @default rule must specify target= option'],
      ['$anyvm $invalid deny', "invalid target token: '@invalid'"],
    ];
    for (const [line, message] of cases) {
      it(line, () => assert.equal(serviceLineError(line), `${OLD}: ${message}`));
    }
    it('accepts $ for @ and commas for spaces', () => {
      assert.equal(serviceLineError('$anyvm $dispvm ask,default_target=$dispvm'), null);
      assert.equal(serviceLineError('@tag:tag1 @type:AppVM ask target=test-vm2 user=user'), null);
    });
  });

  describe('the order upstream checks a rule in', () => {
    const cases: Array<[string, string | null]> = [
      ['a+b * @invalid @invalid invalid', "service 'a+b' contains invalid characters: ('+',)"],
      ['s/x!y * x y allow', "service 's/x!y' contains invalid characters: ('!', '/')"],
      ['s +a/b @invalid y allow', "argument '+a/b' contains invalid characters: ('/',)"],
      ['s arg @invalid y allow', "argument 'arg' does not start with +"],
      ['s * @invalid @invalid invalid', "invalid source token: '@invalid'"],
      ['s * x @invalid invalid', "invalid target token: '@invalid'"],
      ['s * x y invalid x', 'invalid action: invalid'],
      ['s * x y allow user=a user=b', "parameter given twice: 'user'"],
      ['s * x y allow foo user=a user=b', "invalid action parameter syntax: 'foo'"],
      ['s * x y deny autostart=maybe', "'autostart' is 'maybe', but can be only 'yes' or 'no'"],
      ['s * x y deny notify=no autostart=yes', "invalid parameters for action Deny: ['notify=no', 'autostart=yes']"],
      ['s * x y allow target=@anyvm foo=bar', "invalid parameters for action Allow: ['target=@anyvm', 'foo=bar']"],
      ['s * x y ask target=@anyvm default_target=@tag:t', "invalid redirect token: '@anyvm'"],
      ['s * x y ask default_target=@tag:t', "invalid redirect token: '@tag:t'"],
      ['s * x y allow target=*', "invalid redirect token: '*'"],
      ['s * x y allow rule=1', "invalid parameters for action Allow: ['rule=1']"],
      ['s * x y deny notify=Yes', "'notify' is 'Yes', but can be only 'yes' or 'no'"],
      ['s * x y allow user=a=b', null],
      // an empty value is an empty token, not an absent one
      ['s * x y allow user=a=b target=', 'invalid empty redirect token'],
      ['s * x @default allow target=', 'invalid empty redirect token'],
      ['s * x y ask default_target=', 'invalid empty redirect token'],
      ['s * x @default ask', null],
      ["s * x y allow it's", 'invalid action parameter syntax: "it\'s"'],
    ];
    for (const [line, message] of cases) {
      it(line, () => assert.equal(lineError(line), message === null ? null : `${MAIN}: ${message}`));
    }
  });

  describe('directives', () => {
    const cases: Array<[string, string]> = [
      ['!include', 'invalid number of params'],
      ['!include a b', 'invalid number of params'],
      ['!include-dir', 'invalid number of params'],
      ['!include-service a b', 'invalid number of params'],
      ['!include-service a b c d', 'invalid number of params'],
      ['!compat-4.0 x', 'invalid number of params'],
      ['!include-services a b c', 'invalid directive'],
      ['!', 'invalid directive'],
      ['!include missing', 'not a file: ROOT/policy.d/missing'],
      ['!include-dir missing', 'not a directory: ROOT/policy.d/missing'],
      ['!include-service * +a x', 'only * argument allowed for * service'],
      ['!include-service s! * x', "service 's!' contains invalid characters: ('!',)"],
    ];
    for (const [line, message] of cases) {
      it(line, () => assert.equal(lineError(line), `${MAIN}: ${message}`));
    }
    it('allows only !include in a 4.0-format file', () => {
      assert.equal(serviceLineError('!include-dir x'), `${OLD}: invalid directive`);
      assert.equal(serviceLineError('$include:a b'), `${OLD}: invalid number of params`);
    });
  });

  describe('whitespace and comments', () => {
    it('skips blank lines and whole-line comments, strips Python whitespace, counts every line', () => {
      const policy = new PolicyUnderTest(
        '\n# comment\n   # indented comment\n\t\v\f\n\u00a0s\u2003*\u3000x y  deny\u0085\r\n',
      );
      try {
        assert.deepEqual(
          policy.rules.rules.map((r) => [r.service, r.source.text, r.target.text, r.line]),
          [['s', 'x', 'y', 5]],
        );
      } finally {
        policy.dispose();
      }
    });
    it('treats # after a rule as a parameter, not a comment', () => {
      assert.equal(lineError('s * x y deny # no'), `${MAIN}: invalid action parameter syntax: '#'`);
    });
    it('counts \\r and \\r\\n as line ends, like Python’s universal newlines', () => {
      const policy = new PolicyUnderTest('s * a b deny\r\ns * c d deny\rs * e f deny\n');
      try {
        assert.deepEqual(
          policy.rules.rules.map((r) => r.line),
          [1, 2, 3],
        );
      } finally {
        policy.dispose();
      }
    });
  });

  describe('notify and autostart defaults (test_line_notify, test_line_autostart)', () => {
    const actionOf = (line: string) => {
      const policy = new PolicyUnderTest(`${line}\n`);
      try {
        return policy.rules.rules[0].action;
      } finally {
        policy.dispose();
      }
    };
    for (const [action, notify] of [
      ['deny', true],
      ['ask', false],
      ['allow', false],
    ] as const) {
      it(`${action} notifies ${notify ? 'by default' : 'only when asked'}`, () => {
        assert.equal(actionOf(`test.Service +argument @anyvm @adminvm ${action}`).notify, notify);
        assert.equal(actionOf(`test.Service +argument @anyvm @adminvm ${action} notify=yes`).notify, true);
        assert.equal(actionOf(`test.Service +argument @anyvm @adminvm ${action} notify=no`).notify, false);
      });
    }
    for (const action of ['ask', 'allow']) {
      it(`${action} autostarts unless autostart=no`, () => {
        const autostart = (params: string) => {
          const a = actionOf(`test.Service +argument @anyvm @anyvm ${action}${params}`);
          assert.ok(a.type !== 'deny');
          return a.autostart;
        };
        assert.equal(autostart(''), true);
        assert.equal(autostart(' autostart=yes'), true);
        assert.equal(autostart(' autostart=no'), false);
      });
    }
  });
});

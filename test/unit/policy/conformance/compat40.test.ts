import assert from 'node:assert/strict';
import { PolicyUnderTest } from './upstream-fixtures';

describe('conformance: !compat-4.0', () => {
  let policy: PolicyUnderTest;
  afterEach(() => policy.dispose());

  const load = (legacy: Record<string, string>) => {
    const files: Record<string, string> = {};
    for (const [name, body] of Object.entries(legacy)) files[`legacy/${name}`] = body;
    policy = new PolicyUnderTest('!compat-4.0\n', files);
    return policy.rules.rules.map(
      (r) => `${r.service} ${r.argument ?? '*'} ${r.source.text} ${r.target.text} ${r.action.type}`,
    );
  };

  it('reads services in name order, each one’s argument files before its no-argument file', () => {
    assert.deepEqual(
      load({
        'qubes.B': '@anyvm @anyvm ask\n',
        'qubes.B+b': 'test-vm1 @anyvm allow\n',
        'qubes.B+a': 'test-vm2 @anyvm allow\n',
        'qubes.B+': 'test-vm3 @anyvm allow\n',
        'qubes.A': 'test-vm1 @anyvm allow\n',
      }),
      [
        'qubes.A * test-vm1 @anyvm allow',
        'qubes.B + test-vm3 @anyvm allow',
        'qubes.B + @anyvm @anyvm deny',
        'qubes.B + @anyvm @adminvm deny',
        'qubes.B +a test-vm2 @anyvm allow',
        'qubes.B +a @anyvm @anyvm deny',
        'qubes.B +a @anyvm @adminvm deny',
        'qubes.B +b test-vm1 @anyvm allow',
        'qubes.B +b @anyvm @anyvm deny',
        'qubes.B +b @anyvm @adminvm deny',
        'qubes.B * @anyvm @anyvm ask',
      ],
    );
  });

  it('numbers the implicit denies as line 0 of the argument file', () => {
    load({ 'qubes.B+a': 'test-vm2 @anyvm allow\n' });
    const deny = policy.rules.rules[1];
    assert.equal(deny.line, 0);
    assert.equal(deny.file, policy.tree.path('legacy/qubes.B+a'));
    assert.equal(
      policy.evaluate('test-vm1', 'test-vm2', 'qubes.B', '+a').denial?.message,
      `denied by policy ${policy.tree.path('legacy/qubes.B+a')}:0`,
    );
  });

  it('skips hidden files, package and editor leftovers, and names outside the service charset', () => {
    assert.deepEqual(
      load({
        'qubes.A': 'test-vm1 @anyvm allow\n',
        '.qubes.A': 'garbage\n',
        'qubes.A.rpmsave': 'garbage\n',
        'qubes.A.rpmnew': 'garbage\n',
        'qubes.A+x.swp': 'garbage\n',
        'qubes A': 'garbage\n',
      }),
      ['qubes.A * test-vm1 @anyvm allow'],
    );
  });
});

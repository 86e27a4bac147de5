import assert from 'node:assert/strict';
import { AccessDeniedError } from '../../../policy/errors';
import { IndexedPolicy } from '../../../policy/evaluator/indexed-policy';
import { PolicySource, loadSnapshot } from '../../../policy/policy-source';
import { TempTree } from './policy-fixtures';

describe('policy/policy-source', () => {
  let tree: TempTree;
  beforeEach(() => {
    tree = new TempTree({ 'sys.json': '{"domains": {"work": {}}}', 'pol/30-a.policy': 's * work vault allow\n' });
  });
  afterEach(() => tree.dispose());
  const options = () => ({ policyDirs: [tree.path('pol')], systemInfoPath: tree.path('sys.json') });

  it('loads the policy and the system info together', () => {
    const snap = loadSnapshot(options());
    assert.ok(snap.state instanceof IndexedPolicy);
    assert.equal(snap.state.rules.length, 1);
    assert.equal(snap.info.domains.get('work')?.type, 'AppVM');
  });

  it('denies everything when the system info cannot be read', () => {
    tree.write('sys.json', 'not json');
    const snap = loadSnapshot(options());
    assert.ok(snap.state instanceof AccessDeniedError);
    assert.match(snap.state.message, /^error getting system info: system info ".*sys\.json" is not valid JSON$/);
  });

  it('reloads only when a file changed, swapping the whole snapshot', () => {
    const source = new PolicySource(options());
    const first = source.current();
    assert.equal(source.refresh(), false);
    assert.equal(source.current(), first);
    tree.write('pol/40-b.policy', 's * work personal allow\n');
    assert.equal(source.refresh(), true);
    const second = source.current();
    assert.notEqual(second, first);
    assert.ok(second.state instanceof IndexedPolicy && second.state.rules.length === 2);
    assert.ok(first.state instanceof IndexedPolicy && first.state.rules.length === 1, 'old snapshot untouched');
  });
});

describe('policy/policy-source includes', () => {
  it('notices a change to an included file outside the policy directory', () => {
    const tree = new TempTree({
      'sys.json': '{"domains": {}}',
      'pol/30-a.policy': '!include ../shared/rules\n',
      'shared/rules': 's * work vault allow\n',
    });
    try {
      const source = new PolicySource({ policyDirs: [tree.path('pol')], systemInfoPath: tree.path('sys.json') });
      assert.equal(source.refresh(), false);
      tree.write('shared/rules', 's * work vault allow\ns * work personal deny\n');
      assert.equal(source.refresh(), true);
      const { state } = source.current();
      assert.ok(state instanceof IndexedPolicy && state.rules.length === 2);
    } finally {
      tree.dispose();
    }
  });
});

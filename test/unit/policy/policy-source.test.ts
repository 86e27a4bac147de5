import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { AccessDeniedError } from '../../../policy/errors';
import { IndexedPolicy } from '../../../policy/evaluator/indexed-policy';
import { PolicySource, loadSnapshot } from '../../../policy/policy-source';
import { TempTree } from './policy-fixtures';

/**
 * A file written moments ago may still change within the same timestamp
 * tick, so the source re-reads it once; tests about "nothing changed" let
 * that window pass first.
 */
const settle = () => new Promise((r) => setTimeout(r, 80));

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
    assert.match(
      snap.state.message,
      /^error getting system info: system info ".*sys\.json" is not valid JSON: Unexpected token/,
    );
  });

  it('reloads only when a file changed, swapping the whole snapshot', async () => {
    await settle();
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
  it('notices a change to an included file outside the policy directory', async () => {
    const tree = new TempTree({
      'sys.json': '{"domains": {}}',
      'pol/30-a.policy': '!include ../shared/rules\n',
      'shared/rules': 's * work vault allow\n',
    });
    try {
      await settle();
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

describe('policy/policy-source failures', () => {
  let tree: TempTree;
  let logged: Array<[string, string]>;
  const log = {
    debug() {},
    info: (m: string) => logged.push(['info', m]),
    warn: (m: string) => logged.push(['warn', m]),
    error: (m: string) => logged.push(['error', m]),
  };
  beforeEach(() => {
    logged = [];
    tree = new TempTree({ 'sys.json': '{"domains": {"work": {}}}', 'pol/30-a.policy': 's * work vault allow\n' });
  });
  afterEach(() => tree.dispose());
  const source = () => new PolicySource({ policyDirs: [tree.path('pol')], systemInfoPath: tree.path('sys.json'), log });

  it('logs a reload failure once, with file and line, and the recovery once', () => {
    const s = source();
    assert.deepEqual(logged, []);
    tree.write('pol/30-a.policy', 's * work vault allow\ns * work vault maybe\n');
    assert.equal(s.refresh(), true);
    // polling again while the error stays must not repeat it
    s.refresh();
    s.refresh();
    assert.equal(logged.length, 1);
    assert.equal(logged[0][0], 'error');
    assert.match(logged[0][1], /30-a\.policy:2: invalid action: maybe$/);
    assert.ok(s.current().state instanceof AccessDeniedError);
    tree.write('pol/30-a.policy', 's * work vault deny\n');
    s.refresh();
    assert.equal(logged.length, 2);
    assert.deepEqual(logged[1], ['info', 'policy loaded again: 1 rules']);
  });

  it('logs bad system info once, naming the file and the JSON position', () => {
    const s = source();
    tree.write('sys.json', '{"domains": {"work": {}},}');
    s.refresh();
    s.refresh();
    assert.equal(logged.length, 1);
    assert.match(logged[0][1], /sys\.json" is not valid JSON: \S/);
  });

  for (const [what, make] of [
    ['a FIFO', (p: string) => execFileSync('mkfifo', [p])],
    ['a directory', (p: string) => mkdirSync(p)],
    ['a device (symlink to /dev/null)', (p: string) => symlinkSync('/dev/null', p)],
  ] as const) {
    it(`refuses ${what} in place of a policy file (deny everything, logged), never skips it`, () => {
      const s = source();
      const path = tree.path('pol/30-a.policy');
      rmSync(path);
      make(path);
      s.refresh();
      const { state } = s.current();
      assert.ok(state instanceof AccessDeniedError, 'the policy must not load without that file');
      assert.equal(state.message, `failed to load ${path} file: not a regular file`);
      assert.equal(logged.length, 1);
      assert.ok(logged[0][1].includes(path));
    });
  }

  it('never blocks on a FIFO swapped in for the system info file', () => {
    const fifo = tree.path('fifo.json');
    execFileSync('mkfifo', [fifo]);
    // in a child, so that a blocking read would show as a timeout rather than hang this run
    const script = `const m = require(${JSON.stringify(require.resolve('../../../policy/system-info/system-info'))});
      try { m.loadSystemInfo(${JSON.stringify(fifo)}); } catch (e) { console.log(e.message); }`;
    const out = spawnSync(process.execPath, ['-e', script], { timeout: 5000, encoding: 'utf8' });
    assert.equal(out.signal, null, 'reading the FIFO blocked');
    assert.match(out.stdout, /not a regular file/);
  });
});

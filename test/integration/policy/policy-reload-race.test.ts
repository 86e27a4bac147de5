import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { decisionOf } from '../../../policy/evaluator/describe-evaluation';
import { evaluateRequest } from '../../../policy/evaluator/evaluate';
import { PolicySource } from '../../../policy/policy-source';
import { TempTree } from '../../unit/policy/policy-fixtures';

const ROUNDS = 12;
const REQUEST = { service: 'test.Edit', argument: '+', source: 'work', target: 'vault' };
// the same size, so only the file's timestamps can tell the two apart
const ALLOW = 'test.Edit * work vault allow\n';
const DENY = 'test.Edit * work vault deny \n';

/** Writes `text` to `path` at wall-clock time `at` from another process, and prints when it did. */
function writeLater(path: string, text: string, at: number): Promise<number> {
  const script = `setTimeout(() => { require('fs').writeFileSync(${JSON.stringify(path)}, ${JSON.stringify(text)});
    console.log(Date.now()); }, Math.max(0, ${at} - Date.now()));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`writer exited ${code}`))));
  });
}

describe('policy/policy-source: an edit made while a slow load runs', function () {
  this.timeout(180_000);
  let tree: TempTree;
  before(() => {
    tree = new TempTree({ 'sys.json': '{"domains": {"work": {}, "vault": {}}}' });
    // a large policy makes every load take a while: the window an edit can fall into
    const rules: string[] = [];
    for (let i = 0; i < 40_000; i++) rules.push(`svc.S${i} * @anyvm @anyvm deny`);
    tree.write('pol/50-big.policy', `${rules.join('\n')}\n`);
  });
  after(() => tree.dispose());

  it(`is in force after the next check, every time (${ROUNDS} rounds, each adding a file then editing it mid-load)`, async () => {
    const source = new PolicySource({ policyDirs: [tree.path('pol')], systemInfoPath: tree.path('sys.json') });
    const decide = () => {
      const { state, info } = source.current();
      return decisionOf(evaluateRequest(state, info, REQUEST));
    };
    let inside = 0;
    let loadMs = 300;
    for (let round = 0; round < ROUNDS; round++) {
      const [first, edited, expected] = round % 2 === 0 ? [ALLOW, DENY, 'deny'] : [DENY, ALLOW, 'allow'];
      // each round starts without the file
      rmSync(tree.path('pol/05-new.policy'), { force: true });
      source.refresh();
      // the new file changes the set of files the load reads; it is read first (05 sorts before 50)
      tree.write('pol/05-new.policy', first);
      const started = Date.now();
      const wrote = writeLater(tree.path('pol/05-new.policy'), edited, started + Math.floor(Math.max(150, loadMs) / 3));
      assert.equal(source.refresh(), true);
      const ended = Date.now();
      loadMs = ended - started;
      const at = await wrote;
      if (at > started && at < ended) inside++;
      // the watcher or the poll calls refresh next; by then the edit must be loaded
      source.refresh();
      assert.equal(
        decide(),
        expected,
        `round ${round}: the edit written at +${at - started} ms of a ${ended - started} ms load was lost`,
      );
    }
    // the check is only meaningful if the edits really landed inside loads
    assert.ok(inside >= ROUNDS / 2, `only ${inside} of ${ROUNDS} edits landed inside a load`);
  });
});

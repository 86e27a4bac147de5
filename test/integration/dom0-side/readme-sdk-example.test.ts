import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Qubes } from '../../../dom0-side/sdk/index';
import { QnetdKit } from './qnetd-kit';

/** The repository root: this file runs from dist/test/integration/dom0-side. */
const REPO_ROOT = join(__dirname, '..', '..', '..', '..');

/** The README's SDK example, exactly as a user copies it. */
function readmeExample(): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const block = /<!-- sdk-example:begin -->\s*```js\n([\s\S]*?)```\s*<!-- sdk-example:end -->/.exec(readme);
  assert.ok(block, 'README has the sdk-example block');
  return block[1];
}

function runNode(script: string, env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    // From stdin with the clone as cwd: require('./dist/...') resolves as in a file saved there.
    const child = spawn(process.execPath, ['-'], { cwd: REPO_ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.end(script);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('README SDK example (run as written against a real qnetd)', function () {
  this.timeout(60_000);
  let kit: QnetdKit;
  before(async () => {
    kit = new QnetdKit();
    await kit.start();
    // The simulator's qubes that the example touches, running as after `qnet sim up`.
    const app = await Qubes.connect({ runDir: kit.runDir });
    try {
      await app.domains.create('sys-net', { providesNetwork: true, netvm: null });
      await app.domains.create('sys-firewall', { providesNetwork: true, netvm: 'sys-net' });
      await app.domains.create('work', { netvm: 'sys-firewall' });
      for (const q of ['sys-net', 'sys-firewall', 'work']) await (await app.domains.get(q)).start();
    } finally {
      app.close();
    }
  });
  after(async () => kit.dispose());

  it('exits 0, moves work and back, and prints the netvm events with their causes', async () => {
    const r = await runNode(readmeExample(), { QNET_RUN_DIR: kit.runDir });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const lines = r.stdout.split('\n');
    assert.ok(lines.includes('work running netvm=sys-firewall'), r.stdout);
    assert.ok(lines.includes('rule: action=accept dst4=192.0.2.1/32 proto=tcp dstports=443-443'), r.stdout);
    assert.ok(lines.includes('work -> sys-net: applied'), r.stdout);
    assert.ok(lines.includes('work -> sys-firewall: applied'), r.stdout);
    const moved = lines.find((l) => l.startsWith('work: netvm sys-firewall -> sys-net ('));
    assert.ok(moved, r.stdout);
    const cause = moved.slice(moved.indexOf('(') + 1, -1);
    assert.ok(
      lines.some((l) => l.startsWith('  push-done ') && l.endsWith(`(${cause})`)),
      `a push-done caused by ${cause} in\n${r.stdout}`,
    );
  });
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const BUILD = join(__dirname, '../../..');
const CLIS = { qnet: join(BUILD, 'dom0-side/cli/main.js'), 'qnet-agent': join(BUILD, 'vm-side/main.js') };

/** Runs `node CLI --help | head -c1`: the reader goes away after the first byte. */
function helpIntoClosedPipe(file: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('a CLI whose stdout reader goes away (qnet ls | head)', () => {
  for (const [name, file] of Object.entries(CLIS)) {
    it(`${name} stops quietly with 141 (128 + SIGPIPE), no stack trace`, async () => {
      // The help is written in many small writes; some land after the pipe closed.
      const { code, stderr } = await helpIntoClosedPipe(file);
      assert.ok(code === 141 || code === 0, `exit ${code}`);
      assert.doesNotMatch(stderr, /EPIPE|Error|at /);
    });
  }
});

import assert from 'node:assert/strict';
import { ChildProcessCommandRunner, CommandFailedError } from '../../../shared/exec/command-runner';

describe('ChildProcessCommandRunner (real processes)', () => {
  const run = new ChildProcessCommandRunner();

  it('returns stdout and passes stdin', async () => {
    assert.deepEqual(await run.exec('sh', ['-c', 'cat; echo err >&2'], { input: 'hello' }), {
      stdout: 'hello',
      stderr: 'err\n',
    });
  });

  it('fails with the exit code and the first stderr line', async () => {
    await assert.rejects(run.exec('sh', ['-c', 'echo "no such table" >&2; exit 3']), (err: unknown) => {
      assert.ok(err instanceof CommandFailedError);
      assert.equal(err.exitCode, 3);
      assert.match(err.message, /failed \(3\): no such table$/);
      return true;
    });
  });

  it('kills a tool that hangs, so an apply lock is never held forever', async () => {
    const started = Date.now();
    await assert.rejects(run.exec('sleep', ['30'], { timeoutMs: 200 }), /timed out after 200 ms/);
    assert.ok(Date.now() - started < 5000);
  });

  it('reports a missing binary as a typed failure', async () => {
    await assert.rejects(run.exec('/nonexistent/qnet-tool', []), CommandFailedError);
  });
});

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProcessGroupScriptRunner } from '../../../../vm-side/firewall-hooks/process-group-script-runner';
import { tempDir, waitFor } from '../../../helpers/processes';

/** Running, not a zombie: an orphan's exit is reaped by whatever pid 1 is, on its own schedule. */
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

// Real processes (no root needed): what the agent sees of a user's script, and what is left of it afterwards.
describe('ProcessGroupScriptRunner (real scripts)', function () {
  this.timeout(20_000);
  let dir: ReturnType<typeof tempDir>;
  const runner = new ProcessGroupScriptRunner();
  const script = (name: string, body: string, mode = 0o755) => {
    const path = join(dir.path, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode });
    return path;
  };
  const pids = (...names: string[]) => names.map((n) => Number(readFileSync(join(dir.path, n), 'utf8').trim()));

  beforeEach(() => (dir = tempDir('hook-runner')));
  afterEach(() => dir.dispose());

  it('reports the exit status, zero or not, and a death by signal', async () => {
    assert.deepEqual(
      { ...(await runner.run(script('ok', 'exit 0'), { timeoutMs: 5000 })), ms: 0 },
      {
        kind: 'exited',
        exitCode: 0,
        ms: 0,
      },
    );
    const failed = await runner.run(script('fails', 'echo "fails on purpose" >&2; exit 3'), { timeoutMs: 5000 });
    assert.equal(failed.kind === 'exited' && failed.exitCode, 3);
    const killed = await runner.run(script('killed', 'kill -9 $$'), { timeoutMs: 5000 });
    assert.equal(killed.kind === 'signalled' && killed.signal, 'SIGKILL');
  });

  it('a script that cannot be executed ends as the shell says (126 not executable, 127 not found)', async () => {
    const missing = await runner.run(join(dir.path, 'nope'), { timeoutMs: 5000 });
    assert.equal(missing.kind === 'exited' && missing.exitCode, 127);
    const notExecutable = await runner.run(script('plain', 'exit 0', 0o644), { timeoutMs: 5000 });
    assert.equal(notExecutable.kind === 'exited' && notExecutable.exitCode, 126);
    const badInterpreter = join(dir.path, 'bad-interpreter');
    writeFileSync(badInterpreter, '#!/nonexistent/interpreter\n', { mode: 0o755 });
    const bad = await runner.run(badInterpreter, { timeoutMs: 5000 });
    assert.equal(bad.kind === 'exited' && bad.exitCode, 127);
  });

  it('runs the script itself (its pid is the group leader) with umask 022 and cwd /, whatever the agent has', async () => {
    const path = script(
      'facts',
      `umask > "${dir.path}/umask"; pwd > "${dir.path}/cwd"; cut -d' ' -f1,5 /proc/$$/stat > "${dir.path}/pid"`,
    );
    const previous = process.umask(0o077); // the agent's unit runs with UMask=0077
    try {
      const r = await runner.run(path, { timeoutMs: 5000 });
      assert.equal(r.kind === 'exited' && r.exitCode, 0);
    } finally {
      process.umask(previous);
    }
    // pid and process group of the script: equal, so the group the timeout kills is the script's own.
    const [pid, pgrp] = readFileSync(join(dir.path, 'pid'), 'utf8').trim().split(' ');
    assert.equal(pid, pgrp);
    assert.equal(readFileSync(join(dir.path, 'umask'), 'utf8').trim(), '0022');
    assert.equal(readFileSync(join(dir.path, 'cwd'), 'utf8').trim(), '/');
  });

  it('on timeout, kills the script and what it started (SIGTERM to the group)', async () => {
    const path = script('hangs', `sleep 30 & echo $! > "${dir.path}/child"; echo $$ > "${dir.path}/shell"; wait`);
    const outcome = await runner.run(path, { timeoutMs: 300 });
    assert.equal(outcome.kind, 'timed-out');
    const [child, shell] = pids('child', 'shell');
    await waitFor(() => !alive(child!) && !alive(shell!), 3000, 'the script and its sleep gone');
  });

  it('on timeout, a group that ignores SIGTERM gets SIGKILL after the grace', async () => {
    const path = script(
      'stubborn',
      `trap '' TERM; sleep 30 & echo $! > "${dir.path}/child"; echo $$ > "${dir.path}/shell"; wait; wait`,
    );
    const outcome = await runner.run(path, { timeoutMs: 300 });
    assert.equal(outcome.kind, 'timed-out');
    assert.ok(outcome.ms >= 2000, `the shell survived SIGTERM until SIGKILL (${outcome.ms} ms)`);
    const [child, shell] = pids('child', 'shell');
    await waitFor(() => !alive(child!) && !alive(shell!), 3000, 'the stubborn group gone');
  });

  it('does not wait for a daemon the script leaves running (upstream waits for the script alone)', async () => {
    const path = script('daemon', `sleep 30 >/dev/null 2>&1 & echo $! > "${dir.path}/child"; exit 0`);
    const outcome = await runner.run(path, { timeoutMs: 10_000 });
    assert.equal(outcome.kind === 'exited' && outcome.exitCode, 0);
    assert.ok(outcome.ms < 5000, `returned in ${outcome.ms} ms`);
    const [child] = pids('child');
    assert.ok(alive(child!), 'the daemon keeps running');
    process.kill(child!, 'SIGKILL');
  });

  it('an abort (the agent stops) kills the running script and its group', async () => {
    const path = script('long', `sleep 30 & echo $! > "${dir.path}/child"; wait`);
    const stop = new AbortController();
    const running = runner.run(path, { timeoutMs: 60_000, signal: stop.signal });
    await waitFor(() => {
      try {
        return pids('child').length === 1 && !Number.isNaN(pids('child')[0]);
      } catch {
        return false;
      }
    }, 5000);
    stop.abort();
    assert.equal((await running).kind, 'aborted');
    const [child] = pids('child');
    await waitFor(() => !alive(child!), 3000, 'the sleep gone');
  });
});

import { spawn } from 'node:child_process';
import { injectable } from 'tsyringe';
import type { HookRunOptions, HookRunOutcome, HookScriptRunner } from './hook-script-runner';

const SHELL = '/bin/sh';
/** "$0" is the script; exec keeps its pid (the group leader). A script that cannot be exec'd exits 126/127. */
const EXEC_WITH_UMASK = 'umask 022 && exec "$0"';

/** After SIGTERM, what a timed-out script's group gets before SIGKILL. */
export const HOOK_KILL_GRACE_MS = 2_000;

function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: the whole group is gone already
  }
}

/**
 * Each script in a process group of its own (setsid), so a timeout kills
 * what it started too (`sleep`, an `nft` waiting on a lock, a subshell), not
 * only the shell. Its output goes to the agent's stderr, where upstream's
 * goes to qubes-firewall's journal; a daemon the script leaves running keeps
 * writing there and is not waited for (upstream waits for the script alone).
 */
@injectable()
export class ProcessGroupScriptRunner implements HookScriptRunner {
  run(path: string, opts: HookRunOptions): Promise<HookRunOutcome> {
    const start = Date.now();
    const ms = () => Date.now() - start;
    return new Promise((resolve) => {
      if (opts.signal?.aborted) return resolve({ kind: 'aborted', ms: 0 });
      // cwd /: as under systemd, whatever directory the agent was started from. umask 022 through a shell that
      // execs the script in place: the agent's unit runs with UMask=0077 (its state), upstream's qubes-firewall
      // with the default, and a script that writes a file expects the default.
      const child = spawn(SHELL, ['-c', EXEC_WITH_UMASK, path], { cwd: '/', detached: true, stdio: ['ignore', 2, 2] });
      let ending: 'timed-out' | 'aborted' | undefined;
      let killTimer: NodeJS.Timeout | undefined;
      const stop = (why: 'timed-out' | 'aborted') => {
        if (ending || child.pid === undefined) return;
        ending = why;
        if (why === 'aborted') {
          signalGroup(child.pid, 'SIGKILL');
          return;
        }
        signalGroup(child.pid, 'SIGTERM');
        const pgid = child.pid;
        killTimer = setTimeout(() => signalGroup(pgid, 'SIGKILL'), HOOK_KILL_GRACE_MS);
      };
      const timer = setTimeout(() => stop('timed-out'), opts.timeoutMs);
      const onAbort = () => stop('aborted');
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const settle = (outcome: HookRunOutcome) => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      child.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(killTimer);
        settle({ kind: 'not-started', error: err.code ?? err.message, ms: ms() });
      });
      child.once('exit', (code, signal) => {
        if (ending === 'timed-out') {
          // The shell may die of SIGTERM while a child ignores it: the group still gets SIGKILL at the grace's end.
          killTimer?.unref();
          return settle({ kind: 'timed-out', timeoutMs: opts.timeoutMs, ms: ms() });
        }
        if (ending === 'aborted') return settle({ kind: 'aborted', ms: ms() });
        if (signal) return settle({ kind: 'signalled', signal, ms: ms() });
        settle({ kind: 'exited', exitCode: code ?? -1, ms: ms() });
      });
    });
  }
}

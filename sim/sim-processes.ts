import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { SimStepError } from './sim-errors';
import type { SimLayout } from './sim-layout';

/** A zombie is dead: its parent (the `sim up` that exited, reparented to a pid 1 that may not reap) only has not reaped it. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

/** The process' start time in clock ticks since boot (field 22 of /proc/PID/stat): a pid and this name one process. */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const start = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    return Number.isInteger(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but is root's (`qnet sim status` run by a user).
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !isZombie(pid);
};

/** Guards against a recycled pid: the process must name the sim dir on its command line. */
function belongsTo(pid: number, root: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(root);
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function canConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    if (!existsSync(path)) return resolve(false);
    const sock = connect(path);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

function logTail(path: string): string {
  try {
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    return lines.slice(-3).join(' | ');
  } catch {
    return 'no log';
  }
}

/**
 * The simulation's long-running processes: each detached in its own process
 * group (so the terminal's Ctrl-C reaches only `qnet sim`, which then tears
 * down in order), logging to a file and known by a pid file.
 */
export class SimProcesses {
  constructor(private readonly layout: SimLayout) {}

  start(name: string, file: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): number {
    const log = openSync(this.layout.logFile(name), 'a');
    try {
      const child = spawn(file, args, {
        detached: true,
        stdio: ['ignore', log, log],
        env: { ...process.env, ...env },
      });
      child.on('error', () => {});
      if (child.pid === undefined) throw new SimStepError(`start ${name}`, `cannot spawn ${file}`);
      writeFileSync(this.layout.pidFile(name), `${child.pid}\n`);
      child.unref();
      return child.pid;
    } finally {
      closeSync(log);
    }
  }

  pidOf(name: string): number | undefined {
    try {
      const pid = Number(readFileSync(this.layout.pidFile(name), 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  running(name: string): boolean {
    const pid = this.pidOf(name);
    return pid !== undefined && isAlive(pid) && belongsTo(pid, this.layout.root);
  }

  /** Polls `ready` until it holds; fails early, with the log's last lines, when the process died. */
  async waitReady(name: string, ready: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
    const start = Date.now();
    for (;;) {
      if (await ready()) return;
      // Liveness by pid alone: between fork and exec the child still shows its parent's command
      // line, which need not name the sim dir, and the pid was ours moments ago (no recycling yet).
      const pid = this.pidOf(name);
      if (pid === undefined || !isAlive(pid)) {
        throw new SimStepError(`start ${name}`, `exited early: ${logTail(this.layout.logFile(name))}`);
      }
      if (Date.now() - start > timeoutMs) {
        throw new SimStepError(
          `start ${name}`,
          `not ready after ${timeoutMs} ms: ${logTail(this.layout.logFile(name))}`,
        );
      }
      await sleep(25);
    }
  }

  names(): string[] {
    try {
      return readdirSync(this.layout.pidDir)
        .filter((f) => f.endsWith('.pid'))
        .map((f) => f.slice(0, -4));
    } catch {
      return [];
    }
  }

  /**
   * Stops one named process as its service manager would: SIGTERM, SIGKILL
   * after `graceMs`; resolves once it is gone. False when it was not running
   * (its pid file names no live process of this sim).
   */
  async stop(name: string, graceMs = 5000): Promise<boolean> {
    const pid = this.pidOf(name);
    if (pid === undefined || !this.running(name)) return false;
    await SimProcesses.terminate([pid], graceMs);
    return true;
  }

  /** SIGKILL, as a crash: the process cleans nothing up. Resolves once it is gone; false when it was not running. */
  async kill(name: string, timeoutMs = 5000): Promise<boolean> {
    const pid = this.pidOf(name);
    if (pid === undefined || !this.running(name)) return false;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      return false;
    }
    const start = Date.now();
    while (isAlive(pid) && Date.now() - start < timeoutMs) await sleep(10);
    return true;
  }

  /** SIGTERM, then SIGKILL for whatever is still there after `graceMs`. */
  static async terminate(pids: readonly number[], graceMs = 3000): Promise<void> {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
    const start = Date.now();
    while (pids.some(isAlive) && Date.now() - start < graceMs) await sleep(25);
    for (const pid of pids.filter(isAlive)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone meanwhile */
      }
    }
  }

  /** Every process of this simulation that its pid file names and that is still alive. */
  livePids(): number[] {
    return this.names()
      .map((n) => this.pidOf(n))
      .filter((pid): pid is number => pid !== undefined && isAlive(pid) && belongsTo(pid, this.layout.root));
  }
}

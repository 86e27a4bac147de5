import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { socketIsLive } from '../../../shared/runtime/unix-socket';
import { stopChild, tempDir } from '../../helpers/processes';

const BUILD_ROOT = join(__dirname, '..', '..', '..');
export const QNETD_MAIN = join(BUILD_ROOT, 'dom0-side', 'daemon', 'main.js');
export const RECORDING_MAIN = join(__dirname, 'fixtures', 'qnetd-recording-main.js');
export const QNET_MAIN = join(BUILD_ROOT, 'dom0-side', 'cli', 'main.js');

export interface RecordedPush {
  target: string;
  service: string;
  request: { generation: number } & Record<string, unknown>;
}

/** A qnetd in a temporary state and run dir; `recording` swaps qrexec for the recording transport. */
export class QnetdKit {
  readonly dir = tempDir('qnetd');
  readonly stateDir = join(this.dir.path, 'state');
  readonly runDir = join(this.dir.path, 'run');
  readonly pushLog = join(this.dir.path, 'pushes.jsonl');
  child: ChildProcess | undefined;
  stderr = '';

  constructor(private readonly opts: { recording?: boolean; env?: NodeJS.ProcessEnv } = {}) {}

  async start(): Promise<void> {
    const script = this.opts.recording === false ? QNETD_MAIN : RECORDING_MAIN;
    const child = spawn(process.execPath, [script, '--state-dir', this.stateDir, '--run-dir', this.runDir], {
      env: { ...process.env, QNET_TEST_PUSH_LOG: this.pushLog, QNET_LOG_LEVEL: 'warn', ...this.opts.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr!.on('data', (c: Buffer) => (this.stderr += c.toString()));
    this.child = child;
    const sockets = [join(this.runDir, 'qnetd.sock'), join(this.runDir, 'qrexec.sock')];
    // Ready means both sockets accept connections (a killed qnetd leaves dead socket files behind).
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`qnetd exited with ${child.exitCode}: ${this.stderr}`);
      const live = await Promise.all(sockets.map((s) => existsSync(s) && socketIsLive(s)));
      if (live.every(Boolean)) break;
      if (Date.now() > deadline) throw new Error(`qnetd sockets not ready: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  pushes(): RecordedPush[] {
    if (!existsSync(this.pushLog)) return [];
    return readFileSync(this.pushLog, 'utf8')
      .split('\n')
      .filter((l) => l.endsWith('}'))
      .map((l) => JSON.parse(l) as RecordedPush);
  }

  async stop(): Promise<void> {
    if (this.child) await stopChild(this.child);
  }

  kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  async dispose(): Promise<void> {
    await this.stop();
    this.dir.dispose();
  }
}

/** Runs `qnet ARGS` against this qnetd; stdin optional. */
export function runQnet(kit: QnetdKit, args: string[], stdin = '', env: NodeJS.ProcessEnv = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [QNET_MAIN, ...args], {
      env: { ...process.env, QNET_RUN_DIR: kit.runDir, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.end(stdin);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

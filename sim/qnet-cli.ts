import { spawn } from 'node:child_process';
import { SimStepError } from './sim-errors';
import type { SimBinaries } from './sim-binaries';

export interface RunResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout as bytes, for replies that are not text (msgpack envelopes). */
  readonly bytes: Buffer;
}

/** Runs a process to completion, collecting its output; never throws for a non-zero exit. */
export function runCollect(
  file: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string | Buffer; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
    child.once('error', (err) => {
      clearTimeout(timer);
      const bytes = Buffer.concat(out);
      resolve({ status: 127, stdout: bytes.toString(), stderr: stderr || err.message, bytes });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const bytes = Buffer.concat(out);
      resolve({ status: code ?? (signal ? 128 : 1), stdout: bytes.toString(), stderr, bytes });
    });
  });
}

/** The `qnet` CLI as dom0's user runs it, pointed at the simulation's qnetd. */
export class QnetCli {
  constructor(
    private readonly bins: SimBinaries,
    private readonly runDir: string,
  ) {}

  run(args: readonly string[], input?: string): Promise<RunResult> {
    return runCollect(this.bins.node, [this.bins.qnet, ...args], { env: { QNET_RUN_DIR: this.runDir }, input });
  }

  /** Runs and fails the step on a non-zero exit. */
  async must(args: readonly string[], input?: string): Promise<string> {
    const r = await this.run(args, input);
    if (r.status !== 0) throw new SimStepError(`qnet ${args.join(' ')}`, r.stderr || r.stdout || `exit ${r.status}`);
    return r.stdout;
  }

  async json<T>(args: readonly string[]): Promise<T> {
    const out = await this.must([...args, '--json']);
    try {
      return JSON.parse(out) as T;
    } catch {
      throw new SimStepError(`qnet ${args.join(' ')} --json`, `not JSON: ${out.slice(0, 200)}`);
    }
  }
}

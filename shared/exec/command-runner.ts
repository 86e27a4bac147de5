import { spawn } from 'node:child_process';
import { injectable } from 'tsyringe';
import { token } from '../di/token';
import { ApplyFailedError } from '../errors/qnet-error';

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
}

export interface ExecOptions {
  /** Bytes written to the child's stdin (then closed). */
  input?: string | Buffer;
  timeoutMs?: number;
}

/** The seam between executors and the kernel's tools; tests hand in a sinon fake. */
export interface CommandRunner {
  /** Runs `file args...` without a shell; rejects with ApplyFailedError on a non-zero exit. */
  exec(file: string, args: readonly string[], opts?: ExecOptions): Promise<CommandResult>;
}
export const CommandRunner = token<CommandRunner>('CommandRunner');

export class CommandFailedError extends ApplyFailedError {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`${command} failed (${exitCode ?? 'killed'}): ${stderr.trim().split('\n')[0]?.slice(0, 300) ?? ''}`);
  }
}

/**
 * A kernel tool that hangs must not hold the agent's apply lock forever
 * (every later push queues behind it), and one that floods its output must
 * not exhaust memory: both are bounded and end as a typed failure.
 */
export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;
export const MAX_COMMAND_OUTPUT_BYTES = 256 * 1024 * 1024;

@injectable()
export class ChildProcessCommandRunner implements CommandRunner {
  exec(file: string, args: readonly string[], opts: ExecOptions = {}): Promise<CommandResult> {
    const what = `${file} ${args.slice(0, 3).join(' ')}`;
    return new Promise((resolve, reject) => {
      const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let size = 0;
      let abort: string | undefined;
      const kill = (why: string) => {
        abort ??= why;
        child.kill('SIGKILL');
      };
      const timeoutMs = opts.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
      const timer = setTimeout(() => kill(`timed out after ${timeoutMs} ms`), timeoutMs);
      const collect = (into: Buffer[]) => (c: Buffer) => {
        size += c.length;
        if (size > MAX_COMMAND_OUTPUT_BYTES) kill(`printed more than ${MAX_COMMAND_OUTPUT_BYTES} bytes`);
        else into.push(c);
      };
      child.stdout.on('data', collect(out));
      child.stderr.on('data', collect(err));
      child.stdin.on('error', () => {});
      child.stdin.end(opts.input ?? '');
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(new CommandFailedError(file, null, e.message));
      });
      child.once('close', (code) => {
        clearTimeout(timer);
        const result = { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
        if (abort) reject(new CommandFailedError(what, null, abort));
        else if (code === 0) resolve(result);
        else reject(new CommandFailedError(what, code, result.stderr));
      });
    });
  }
}

import { spawn } from 'node:child_process';
import { injectable } from 'tsyringe';
import { token } from '../../shared/di/token';
import { ApplyFailedError } from '../../shared/errors/qnet-error';

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

@injectable()
export class ChildProcessCommandRunner implements CommandRunner {
  exec(file: string, args: readonly string[], opts: ExecOptions = {}): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => err.push(c));
      child.stdin.on('error', () => {});
      child.stdin.end(opts.input ?? '');
      child.once('error', (e) => reject(new CommandFailedError(file, null, e.message)));
      child.once('close', (code) => {
        if (timer) clearTimeout(timer);
        const result = { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
        if (code === 0) resolve(result);
        else reject(new CommandFailedError(`${file} ${args.slice(0, 3).join(' ')}`, code, result.stderr));
      });
    });
  }
}

import type { Readable, Writable } from 'node:stream';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { exitCodeFor } from '../errors/codes';
import { QnetError } from '../errors/qnet-error';

/** What a command may touch; tests hand in buffers. */
export interface CliIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: NodeJS.ProcessEnv;
}

export const processIo = (): CliIo => ({
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});

/** sysexits: 64 is a usage error. */
export const EXIT_USAGE = 64;

export class UsageError extends Error {}

export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  /** Loaded on demand so one command's dependencies do not slow every start. */
  load(): Promise<{ run(argv: string[], io: CliIo): Promise<number> }>;
}

export function writeLine(stream: Writable, line: string): void {
  stream.write(`${line}\n`);
}

/** `prog: CODE: message` for qnet's errors, a bare message for usage errors; returns the exit code. */
export function reportError(prog: string, io: CliIo, err: unknown): number {
  if (err instanceof UsageError) {
    writeLine(io.stderr, `${prog}: ${err.message} (try --help)`);
    return EXIT_USAGE;
  }
  if (err instanceof QnetError) {
    writeLine(io.stderr, `${prog}: ${err.code}: ${err.message}`);
    return exitCodeFor(err.code);
  }
  writeLine(io.stderr, `${prog}: INTERNAL: ${err instanceof Error ? err.message : String(err)}`);
  return exitCodeFor('INTERNAL');
}

/** Dispatches `prog COMMAND ...`, with `--help` at every level. */
export async function runCommandTable(
  prog: string,
  commands: readonly CliCommand[],
  argv: string[],
  io: CliIo,
): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const width = Math.max(...commands.map((c) => c.name.length));
    writeLine(io.stdout, `usage: ${prog} COMMAND [ARGS...]   (${prog} COMMAND --help for details)\n`);
    for (const c of commands) writeLine(io.stdout, `  ${c.name.padEnd(width)}  ${c.summary}`);
    return name ? 0 : EXIT_USAGE;
  }
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) return reportError(prog, io, new UsageError(`unknown command ${JSON.stringify(name)}`));
  try {
    return await (await cmd.load()).run(rest, io);
  } catch (err) {
    return reportError(`${prog} ${name}`, io, err);
  }
}

/** The flags a command accepts, in node:util parseArgs form. */
export type CliOptions = NonNullable<ParseArgsConfig['options']>;

/**
 * What parseCli returns, spelled out: inferred, it names a type node:util
 * does not export, and the SDK's declarations could not be emitted.
 */
export type ParsedCli<T extends CliOptions> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; allowPositionals: boolean; strict: true }>
>;

/** node:util parseArgs with usage errors that say what was wrong. */
export function parseCli<T extends CliOptions>(argv: string[], options: T, allowPositionals = true): ParsedCli<T> {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message.split('\n')[0] : String(err));
  }
}

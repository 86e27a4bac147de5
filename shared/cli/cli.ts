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

/** 128 + SIGPIPE: what a shell reports for a C tool whose reader went away. */
export const EXIT_BROKEN_PIPE = 141;

let pipesGuarded = false;

/**
 * `qnet ls | head` closes our stdout early. Node reports that as an unhandled
 * EPIPE with a stack trace; a command-line tool instead stops quietly, as one
 * killed by SIGPIPE would (any change it made is already with qnetd).
 */
export function exitQuietlyOnClosedPipes(proc: Pick<NodeJS.Process, 'stdout' | 'stderr' | 'exit'> = process): void {
  for (const stream of [proc.stdout, proc.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') proc.exit(EXIT_BROKEN_PIPE);
      throw err;
    });
  }
}

export const processIo = (): CliIo => {
  if (!pipesGuarded) {
    pipesGuarded = true;
    exitQuietlyOnClosedPipes();
  }
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
};

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

/** The code a usage error prints, beside qnet's error codes (it is not one: nothing crossed a wire). */
export const USAGE_CODE = 'USAGE';

/**
 * `--qubes-exit-codes` (or QNET_EXIT_CODES=qubes): the exit statuses qvm-* tools give,
 * for scripts written against them: 2 for a usage error (argparse), 1 for any other
 * failure (QubesException, including "no such qube"). Without it, qnet keeps sysexits.
 */
export const QUBES_EXIT_FLAG = '--qubes-exit-codes';

export function qubesExitCode(code: number): number {
  if (code === 0) return 0;
  return code === EXIT_USAGE ? 2 : 1;
}

/** Removes the compatibility flag wherever it was typed; true when it (or its environment variable) was there. */
export function takeQubesExitFlag(argv: string[], env: NodeJS.ProcessEnv): { argv: string[]; qubes: boolean } {
  const rest = argv.filter((a) => a !== QUBES_EXIT_FLAG);
  return { argv: rest, qubes: rest.length !== argv.length || env.QNET_EXIT_CODES === 'qubes' };
}

/** `prog: CODE: message` for every error, `USAGE` for usage errors; returns the exit code. */
export function reportError(prog: string, io: CliIo, err: unknown): number {
  if (err instanceof UsageError) {
    writeLine(io.stderr, `${prog}: ${USAGE_CODE}: ${err.message} (try --help)`);
    return EXIT_USAGE;
  }
  if (err instanceof QnetError) {
    writeLine(io.stderr, `${prog}: ${err.code}: ${err.message}`);
    return exitCodeFor(err.code);
  }
  writeLine(io.stderr, `${prog}: INTERNAL: ${err instanceof Error ? err.message : String(err)}`);
  return exitCodeFor('INTERNAL');
}

/** Dispatches `prog COMMAND ...`, with `--help` at every level and `--version` at the top. */
export async function runCommandTable(
  prog: string,
  commands: readonly CliCommand[],
  argv: string[],
  io: CliIo,
  version?: string,
): Promise<number> {
  const [name, ...rest] = argv;
  if (version !== undefined && (name === '--version' || name === '-V')) {
    writeLine(io.stdout, `${prog} ${version}`);
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const width = Math.max(...commands.map((c) => c.name.length));
    // Asked for, the help goes to stdout; given no command, to stderr, ending in the usage error's line.
    const out = name ? io.stdout : io.stderr;
    writeLine(out, `usage: ${prog} COMMAND [ARGS...]   (${prog} COMMAND --help for details)\n`);
    for (const c of commands) writeLine(out, `  ${c.name.padEnd(width)}  ${c.summary}`);
    return name ? 0 : reportError(prog, io, new UsageError('expected a command'));
  }
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) return reportError(prog, io, new UsageError(`unknown command ${JSON.stringify(name)}`));
  try {
    return await (await cmd.load()).run(rest, io);
  } catch (err) {
    return reportError(prog, io, err);
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
    throw new UsageError(parseArgsMessage(err));
  }
}

/**
 * node:util's parse errors, said in one line without its advice to use "--" (which
 * names the library's own API): the flag and what was wrong with it.
 */
function parseArgsMessage(err: unknown): string {
  const first = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  const unknown = /^Unknown option '([^']{1,64})'/.exec(first);
  if (unknown) return `unknown option ${unknown[1]}`;
  const missing = /^Option '(?:-.,\s)?([^']{1,64})' argument missing/.exec(first);
  if (missing) return `option ${missing[1].replace(/ <value>$/, '')} needs a value`;
  const positional = /^Unexpected argument '([^']{1,64})'/.exec(first);
  if (positional) return `unexpected argument ${JSON.stringify(positional[1])}`;
  const bool = /^Option '(?:-.,\s)?([^']{1,64})' does not take an argument/.exec(first);
  if (bool) return `option ${bool[1]} takes no value`;
  return first.replace(/\. To specify .*$/, '').slice(0, 200);
}

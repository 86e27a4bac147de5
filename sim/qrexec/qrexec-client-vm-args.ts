/**
 * The command line of qrexec 4.4's `qrexec-client-vm`, parsed as its
 * getopt_long("+tTa:p:s:h") does: options stop at the first operand (or
 * `--`), short options may be clustered, long options take `=VALUE` or the
 * next word and may be abbreviated to a unique prefix. Pure: the caller
 * turns a `QrexecClientVmUsage` into upstream's messages and exit codes.
 */

/** Upstream's exit statuses for its own failures: 2 usage (as getopt callers do), 1 a bad --buffer-size. */
export const QCVM_EXIT_USAGE = 2;
export const QCVM_EXIT_BAD_OPTION_VALUE = 1;

export interface QrexecClientVmArgs {
  /** Accepted and checked as upstream does; the simulated transport has no vchan buffer to size. */
  readonly bufferSize?: number;
  /** -t / --no-filter-escape-chars-stdout; undefined: upstream's default (filter when stdout is a terminal). */
  readonly filterStdout?: boolean;
  readonly filterStderr?: boolean;
  readonly agentSocket?: string;
  readonly prefixData?: string;
  readonly help: boolean;
  /** `$default`, `$dispvm[:T]` already spelled with `@`, and an empty target as `@default`. */
  readonly target: string;
  readonly service: string;
  /** LOCAL_PROGRAM and its arguments, when given. */
  readonly localProgram?: readonly string[];
}

/** A command line upstream refuses: `message` for stderr (undefined: usage only), and the exit status. */
export class QrexecClientVmUsage extends Error {
  constructor(
    readonly exitCode: number,
    message?: string,
    readonly unsupported = false,
  ) {
    super(message ?? '');
  }
}

interface LongOption {
  readonly name: string;
  readonly hasArg: boolean;
  readonly key: string;
}

const LONG: readonly LongOption[] = [
  { name: 'buffer-size', hasArg: true, key: 'b' },
  { name: 'filter-escape-chars-stdout', hasArg: false, key: 't' },
  { name: 'filter-escape-chars-stderr', hasArg: false, key: 'T' },
  { name: 'no-filter-escape-chars-stdout', hasArg: false, key: 'no-t' },
  { name: 'no-filter-escape-chars-stderr', hasArg: false, key: 'no-T' },
  { name: 'agent-socket', hasArg: true, key: 'a' },
  { name: 'prefix-data', hasArg: true, key: 'p' },
  { name: 'use-stdin-socket', hasArg: false, key: 'use-stdin-socket' },
  { name: 'source-qube', hasArg: true, key: 's' },
  { name: 'help', hasArg: false, key: 'h' },
];

const SHORT_WITH_ARG = new Set(['a', 'p', 's']);
const SHORT = new Set(['t', 'T', 'h', ...SHORT_WITH_ARG]);

/** strtoul(s, &end, 0) with upstream's checks: a leading digit, no trailing junk, at most INT_MAX. */
export function parseBufferSize(text: string): number {
  if (!/^[0-9]/.test(text)) {
    throw new QrexecClientVmUsage(QCVM_EXIT_BAD_OPTION_VALUE, 'Bad buffer size: does not begin with a number');
  }
  const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)(.*)$/s.exec(text)!;
  const [, digits, rest] = m as unknown as [string, string, string];
  const value = /^0[xX]/.test(digits)
    ? parseInt(digits.slice(2), 16)
    : digits.startsWith('0')
      ? parseInt(digits, 8)
      : Number(digits);
  if (value > 0x7fffffff)
    throw new QrexecClientVmUsage(QCVM_EXIT_BAD_OPTION_VALUE, 'strtoul: Numerical result out of range');
  if (rest) throw new QrexecClientVmUsage(QCVM_EXIT_BAD_OPTION_VALUE, 'Bad buffer size: trailing junk');
  return value;
}

function findLong(name: string): LongOption {
  const exact = LONG.find((o) => o.name === name);
  if (exact) return exact;
  const prefixed = LONG.filter((o) => o.name.startsWith(name));
  if (prefixed.length === 1) return prefixed[0]!;
  throw new QrexecClientVmUsage(
    QCVM_EXIT_USAGE,
    prefixed.length ? `option '--${name}' is ambiguous` : `unrecognized option '--${name}'`,
  );
}

export function parseQrexecClientVmArgs(argv: readonly string[]): QrexecClientVmArgs {
  const opts: {
    bufferSize?: number;
    filterStdout?: boolean;
    filterStderr?: boolean;
    agentSocket?: string;
    prefixData?: string;
    help: boolean;
  } = { help: false };
  const apply = (key: string, value: string | undefined): void => {
    switch (key) {
      case 'b':
        opts.bufferSize = parseBufferSize(value!);
        break;
      case 't':
        opts.filterStdout = true;
        break;
      case 'T':
        opts.filterStderr = true;
        break;
      case 'no-t':
        opts.filterStdout = false;
        break;
      case 'no-T':
        opts.filterStderr = false;
        break;
      case 'a':
        opts.agentSocket = value;
        break;
      case 'p':
        if (opts.prefixData !== undefined) throw new QrexecClientVmUsage(QCVM_EXIT_USAGE);
        opts.prefixData = value;
        break;
      case 'h':
        opts.help = true;
        break;
      // The simulated router has no relay and no single-socket mode: refused, not silently ignored.
      case 's':
        throw new QrexecClientVmUsage(QCVM_EXIT_USAGE, '--source-qube is not supported in the simulation', true);
      default:
        throw new QrexecClientVmUsage(QCVM_EXIT_USAGE, '--use-stdin-socket is not supported in the simulation', true);
    }
  };

  let i = 0;
  for (; i < argv.length && !opts.help; i++) {
    const word = argv[i]!;
    if (word === '--') {
      i++;
      break;
    }
    if (!word.startsWith('-') || word === '-') break;
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const opt = findLong(word.slice(2, eq < 0 ? undefined : eq));
      let value: string | undefined;
      if (opt.hasArg) {
        value = eq >= 0 ? word.slice(eq + 1) : argv[++i];
        if (value === undefined) {
          throw new QrexecClientVmUsage(QCVM_EXIT_USAGE, `option '--${opt.name}' requires an argument`);
        }
      } else if (eq >= 0) {
        throw new QrexecClientVmUsage(QCVM_EXIT_USAGE, `option '--${opt.name}' doesn't allow an argument`);
      }
      apply(opt.key, value);
      continue;
    }
    for (let j = 1; j < word.length; j++) {
      const c = word[j]!;
      if (!SHORT.has(c)) throw new QrexecClientVmUsage(QCVM_EXIT_USAGE, `invalid option -- '${c}'`);
      if (!SHORT_WITH_ARG.has(c)) {
        apply(c, undefined);
        if (opts.help) break;
        continue;
      }
      const value = j + 1 < word.length ? word.slice(j + 1) : argv[++i];
      if (value === undefined) throw new QrexecClientVmUsage(QCVM_EXIT_USAGE, `option requires an argument -- '${c}'`);
      apply(c, value);
      break;
    }
  }
  if (opts.help) return { ...opts, target: '', service: '' };
  const operands = argv.slice(i);
  if (operands.length < 2) throw new QrexecClientVmUsage(QCVM_EXIT_USAGE);
  const [target, service, ...local] = operands as [string, string, ...string[]];
  return {
    ...opts,
    // Upstream still takes the old `$keyword` spelling; an empty target lets the policy decide.
    target: target === '' ? '@default' : target.replaceAll('$', '@'),
    service,
    ...(local.length ? { localProgram: local } : {}),
  };
}

export const QCVM_USAGE = `usage: qrexec-client-vm [options] target_vmname program_ident [local_program [local program arguments]]
Options:
  -h, --help - print this message
  --buffer-size=BUFFER_SIZE - minimum vchan buffer size (accepted, no effect in the simulation)
  -t, --filter-escape-chars-stdout - filter non-ASCII and control characters on stdout (default if stdout is a terminal)
  -T, --filter-escape-chars-stderr - accepted (the simulation relays no remote stderr)
  --no-filter-escape-chars-stdout - opposite to --filter-escape-chars-stdout
  --no-filter-escape-chars-stderr - opposite to --filter-escape-chars-stderr
  --agent-socket=PATH - the simulation router's socket of this qube (default: $QNET_ROUTER_SOCKET)
  -p PREFIX-DATA, --prefix-data=PREFIX-DATA - send the given data before the provided stdin (can only be used once)
Not in the simulation: --use-stdin-socket, -s/--source-qube.`;

/** Upstream's escape filter: every byte outside printable ASCII, tab, LF, CR, BS and BEL becomes `_`. */
export function replaceEscapeChars(chunk: Buffer): Buffer {
  const out = Buffer.from(chunk);
  for (let i = 0; i < out.length; i++) {
    const c = out[i]!;
    if ((c < 0x20 || c > 0x7e) && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x08 && c !== 0x07) out[i] = 0x5f;
  }
  return out;
}

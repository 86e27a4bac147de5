import type { Readable } from 'node:stream';
import { EXIT_USAGE, parseCli, UsageError, writeLine, type CliIo } from '../../../shared/cli/cli';
import { QnetError } from '../../../shared/errors/qnet-error';
import { parseApiRule } from '../../firewall/parse-api-rule';
import { parseCliRule } from '../../firewall/parse-cli-rule';
import { isRuleExpired, toApiLine } from '../../firewall/rule-model';

/** Milliseconds since the epoch; injected so expiry is testable. */
export type Clock = () => number;

interface Subcommand {
  readonly summary: string;
  readonly usage: string;
  run(argv: string[], io: CliIo, clock: Clock): Promise<number>;
}

/** A rule line longer than this is refused without being parsed (Admin API rules are short). */
const MAX_LINE_CHARS = 64 * 1024;

/** Lines of a stream, split on LF with a trailing CR dropped; the empty piece after a final LF is no line. */
async function* readLines(stream: Readable): AsyncGenerator<string> {
  let buffered = '';
  for await (const chunk of stream) {
    buffered += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('latin1');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      yield buffered.slice(0, nl).replace(/\r$/, '');
      buffered = buffered.slice(nl + 1);
    }
  }
  if (buffered !== '') yield buffered.replace(/\r$/, '');
}

type ParseResult =
  | { input: string; ok: true; api: string }
  | { input: string; ok: true; api: null; expired: true }
  | { input: string; ok: false; error: string };

function parseLine(input: string, cliForm: boolean, nowMs: number): ParseResult {
  if (input.length > MAX_LINE_CHARS) return { input, ok: false, error: `rule exceeds ${MAX_LINE_CHARS} characters` };
  try {
    const rule = cliForm ? parseCliRule(input, nowMs) : parseApiRule(input);
    if (isRuleExpired(rule, nowMs)) return { input, ok: true, api: null, expired: true };
    return { input, ok: true, api: toApiLine(rule) };
  } catch (err) {
    if (err instanceof QnetError) return { input, ok: false, error: err.message };
    throw err;
  }
}

const PARSE: Subcommand = {
  summary: 'validate and normalize rule lines from stdin, one JSON result per line',
  usage: [
    'usage: qnet firewall-parse [--cli]   (or qnet firewall --parse [--cli])',
    '',
    'Reads one firewall rule per line on stdin and prints one JSON object per line:',
    '  {"input": LINE, "ok": true, "api": NORMALIZED}    the Admin API line qubesd would store',
    '  {"input": LINE, "ok": true, "api": null, "expired": true}   valid, but its expire time has passed',
    '  {"input": LINE, "ok": false, "error": MESSAGE}',
    '',
    'Input is the Admin API form (action=accept proto=tcp dsthost=example.org dstports=443-443),',
    'or with --cli the qvm-firewall argument form (accept proto=tcp dsthost=example.org dstports=443,',
    'positional "<action> [<dsthost> [<proto> [<dstports>|<icmptype>]]]", expire=+SECONDS, shell quoting).',
  ].join('\n'),
  async run(argv, io, clock) {
    const { values } = parseCli(argv, { cli: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, false);
    if (values.help) {
      writeLine(io.stdout, this.usage);
      return 0;
    }
    for await (const line of readLines(io.stdin)) {
      writeLine(io.stdout, JSON.stringify(parseLine(line, values.cli === true, clock())));
    }
    return 0;
  },
};

function describe(withQubes: boolean): string {
  return [
    ...(withQubes
      ? [
          'usage: qnet firewall QUBE [list | add RULE... | del N | set < FILE | reset]   (as qvm-firewall)',
          '       qnet firewall --parse [--cli] < RULES',
        ]
      : ['usage: qnet firewall --parse [--cli] < RULES']),
    '',
    `  --parse   ${PARSE.summary}; also \`qnet firewall-parse\``,
    ...(withQubes ? ["  QUBE      a qube's rules in qnetd (qnet firewall QUBE --help for details)"] : []),
  ].join('\n');
}

/** `qnet firewall QUBE ...`: the rules qnetd holds for a qube; loaded only when a qube is named. */
export type QubeFirewallCommand = (argv: string[], io: CliIo, clock: Clock) => Promise<number>;

/** `qnet firewall-parse`: rule lines checked offline, no qnetd needed. */
export function createFirewallParseCommand(clock: Clock = Date.now) {
  return (argv: string[], io: CliIo): Promise<number> => PARSE.run(argv, io, clock);
}

/**
 * `qnet firewall --parse ...` offline, and, when `qubeFirewall` is given,
 * `qnet firewall QUBE [list | add RULE... | del N | set | reset]` through qnetd.
 * The parser is a flag, not a word, so that a qube may be named `parse`.
 */
export function createFirewallCommand(clock: Clock = Date.now, qubeFirewall?: QubeFirewallCommand) {
  return async function run(argv: string[], io: CliIo): Promise<number> {
    const [name, ...rest] = argv;
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      writeLine(name === undefined ? io.stderr : io.stdout, describe(qubeFirewall !== undefined));
      return name === undefined ? EXIT_USAGE : 0;
    }
    if (name === '--parse') return PARSE.run(rest, io, clock);
    if (qubeFirewall && !name.startsWith('-')) return qubeFirewall(argv, io, clock);
    throw new UsageError(`unknown firewall option ${JSON.stringify(name.slice(0, 32))}`);
  };
}

export const run: (argv: string[], io: CliIo) => Promise<number> = (argv, io) =>
  createFirewallCommand(Date.now, async (a, i, c) =>
    (await import('./qube-firewall-command')).runQubeFirewall(a, i, c),
  )(argv, io);

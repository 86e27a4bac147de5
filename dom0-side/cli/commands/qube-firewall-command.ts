import type { Readable } from 'node:stream';
import { UsageError, writeLine, type CliIo } from '../../../shared/cli/cli';
import { BadRequestError, QnetError } from '../../../shared/errors/qnet-error';
import { parseApiRule } from '../../firewall/parse-api-rule';
import { parseCliRule } from '../../firewall/parse-cli-rule';
import { toApiLine } from '../../firewall/rule-model';
import {
  COMMON_OPTIONS,
  COMMON_USAGE,
  printJson,
  qnetCommand,
  reportPushes,
  WAIT_OPTIONS,
  WAIT_USAGE,
} from './cli-kit';
import { formatTable } from './text-table';
import type { Clock } from './firewall-command';

const MAX_RULES_INPUT = 4 * 1024 * 1024;

/** Back to one shell line, so parseCliRule sees the words exactly as they were typed. */
const shellQuote = (word: string) =>
  /^[A-Za-z0-9_=.:/+,@%-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;

/** One rule in either form: the Admin API form starts with `action=`, anything else is qvm-firewall's. */
function parseAnyRule(line: string, nowMs: number): string {
  return toApiLine(/^action=/.test(line) ? parseApiRule(line) : parseCliRule(line, nowMs));
}

async function readAll(stream: Readable): Promise<string> {
  let text = '';
  for await (const chunk of stream) {
    text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    if (text.length > MAX_RULES_INPUT) throw new BadRequestError(`rules exceed ${MAX_RULES_INPUT} characters`);
  }
  return text;
}

function withLine<T>(n: number, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof QnetError) throw new BadRequestError(`line ${n}: ${err.message}`);
    throw err;
  }
}

const command = (clock: Clock) =>
  qnetCommand({
    usage: [
      'usage: qnet firewall QUBE [list | add RULE... | del N|RULE... | set < FILE | reset]',
      '',
      '  list          the rules, numbered from 0 (the default when no action is given)',
      '  add RULE...   append a rule, in qvm-firewall syntax: accept proto=tcp dsthost=example.org dstports=443',
      '  del N         remove rule N (or the rule equal to RULE...)',
      '  set           replace all rules with those on stdin, one per line (either syntax; # comments)',
      '  reset         back to the default: no firewall configured, everything allowed',
      ...COMMON_USAGE,
      ...WAIT_USAGE,
    ].join('\n'),
    options: { ...COMMON_OPTIONS, ...WAIT_OPTIONS },
    async run({ values, positionals, io, connect }) {
      const [name, action = 'list', ...args] = positionals;
      if (name === undefined) throw new UsageError('expected QUBE');
      const vm = await (await connect()).domains.get(name);
      const extra = { qube: name, action };
      switch (action) {
        case 'list': {
          if (args.length) throw new UsageError('list takes no arguments');
          const [rules, error] = await Promise.all([vm.firewall.getRules(), vm.firewall.error()]);
          if (error !== null)
            writeLine(io.stderr, `qnet: warning: ${name}'s firewall fails closed (all dropped): ${error}`);
          if (values.json) printJson(io, rules);
          else
            writeLine(
              io.stdout,
              formatTable(
                ['NO', 'RULE'],
                rules.map((r, i) => [String(i), r]),
              ),
            );
          return 0;
        }
        case 'add': {
          if (!args.length) throw new UsageError('add needs a rule');
          const line = toApiLine(parseCliRule(args.map(shellQuote).join(' '), clock()));
          // Compare-and-set with retry: concurrent adds and dels never lose each other's rules.
          const batch = await vm.firewall.edit((rules) => [...rules, line]);
          return reportPushes(batch, io, values, extra);
        }
        case 'del': {
          if (!args.length) throw new UsageError('del needs a rule number or a rule');
          const byNumber = args.length === 1 && /^[0-9]+$/.test(args[0]);
          const wanted = byNumber ? undefined : toApiLine(parseCliRule(args.map(shellQuote).join(' '), clock()));
          const batch = await vm.firewall.edit((rules) => {
            const index = byNumber ? Number(args[0]) : rules.indexOf(wanted!);
            if (byNumber && index >= rules.length) {
              throw new BadRequestError(`no rule ${index}: there are ${rules.length}`);
            }
            if (index < 0) throw new BadRequestError(`no rule equal to ${JSON.stringify(wanted!.slice(0, 200))}`);
            return rules.filter((_, i) => i !== index);
          });
          return reportPushes(batch, io, values, extra);
        }
        case 'set': {
          if (args.length) throw new UsageError('set reads the rules from stdin');
          const lines = (await readAll(io.stdin)).split('\n').map((l) => l.replace(/\r$/, '').trim());
          const rules: string[] = [];
          lines.forEach((l, i) => {
            if (l !== '' && !l.startsWith('#')) rules.push(withLine(i + 1, () => parseAnyRule(l, clock())));
          });
          return reportPushes(await vm.firewall.setRules(rules), io, values, extra);
        }
        case 'reset':
          if (args.length) throw new UsageError('reset takes no arguments');
          return reportPushes(await vm.firewall.reset(), io, values, extra);
        default:
          throw new UsageError(`unknown firewall action ${JSON.stringify(action.slice(0, 32))}`);
      }
    },
  });

export function runQubeFirewall(argv: string[], io: CliIo, clock: Clock): Promise<number> {
  return command(clock)(argv, io);
}

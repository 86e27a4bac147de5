import type { Readable } from 'node:stream';
import { UsageError, writeLine, type CliIo } from '../../../shared/cli/cli';
import { BadRequestError, NotFoundError, QnetError } from '../../../shared/errors/qnet-error';
import { parseApiRule } from '../../firewall/parse-api-rule';
import { parseCliRule } from '../../firewall/parse-cli-rule';
import { isRuleExpired, toApiLine, type FirewallRuleModel } from '../../firewall/rule-model';
import {
  COMMON_OPTIONS,
  COMMON_USAGE,
  firewallErrorLine,
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

/** qvm-firewall's list table: NO, then each field as qubesadmin's pretty_value, `-` when absent. */
export const FIREWALL_TABLE_HEADER = [
  'NO',
  'ACTION',
  'HOST',
  'PROTOCOL',
  'PORT(S)',
  'SPECIAL TARGET',
  'ICMP TYPE',
  'EXPIRE',
  'COMMENT',
];

export function firewallTableRow(rule: FirewallRuleModel, no: number, nowMs: number): string[] {
  const dst = rule.dst;
  const host = dst === undefined ? undefined : dst.kind === 'dsthost' ? dst.text : `${dst.address}/${dst.prefixlen}`;
  const ports =
    rule.dstports &&
    (rule.dstports.from === rule.dstports.to ? `${rule.dstports.from}` : `${rule.dstports.from}-${rule.dstports.to}`);
  // qubesadmin prints the time left, rounded, signed: `+300s`.
  const expire =
    rule.expire &&
    `${rule.expire.at * 1000 >= nowMs ? '+' : '-'}${Math.abs(Math.round((rule.expire.at * 1000 - nowMs) / 1000))}s`;
  const cells = [
    rule.action,
    host,
    rule.proto,
    ports,
    rule.specialtarget,
    rule.icmptype?.toString(),
    expire,
    rule.comment,
  ];
  return [String(no), ...cells.map((c) => (c === undefined || c === '' ? '-' : c))];
}

/** A stored line and, when qnet's parser understands it, its model. */
interface StoredRule {
  readonly line: string;
  readonly rule?: FirewallRuleModel;
}

function storedRule(line: string): StoredRule {
  try {
    return { line, rule: parseApiRule(line) };
  } catch (err) {
    // A line qubesd stored that qnet cannot read is still listed, and never dropped by an edit.
    if (err instanceof QnetError) return { line };
    throw err;
  }
}

/** The live rules: qubesd drops a rule once its expire time passed, and numbers what is left. */
const liveRules = (lines: readonly string[], nowMs: number): StoredRule[] =>
  lines.map(storedRule).filter((r) => r.rule === undefined || !isRuleExpired(r.rule, nowMs));

function tableRow(r: StoredRule, no: number, nowMs: number): string[] {
  if (r.rule) return firewallTableRow(r.rule, no, nowMs);
  return [String(no), '?', '-', '-', '-', '-', '-', '-', `(not understood by qnet) ${r.line}`];
}

/** `--before N` and `--rule-no N`: a rule number as qvm-firewall's argparse int takes it. */
function ruleNumber(raw: string | undefined, flag: string): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^[0-9]{1,4}$/.test(raw))
    throw new UsageError(`${flag} takes a rule number, got ${JSON.stringify(raw.slice(0, 16))}`);
  return Number(raw);
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
      'usage: qnet firewall QUBE [list [--raw] | add [--before N] RULE... | del --rule-no N | del RULE... | set < FILE | reset]',
      '',
      "  list          the rules as qvm-firewall's table, numbered from 0 (the default action); expired rules are gone",
      '  --raw         list them as Admin API lines instead',
      '  add RULE...   append a rule, in qvm-firewall syntax: accept proto=tcp dsthost=example.org dstports=443',
      '  --before N    add it before rule N instead',
      '  del --rule-no N   remove rule N (`del N` also works); del RULE... removes the rule equal to RULE',
      '  set           replace all rules with those on stdin, one per line (either syntax; # comments)',
      '  reset         back to the default: no firewall configured, everything allowed',
      ...COMMON_USAGE,
      ...WAIT_USAGE,
    ].join('\n'),
    options: {
      ...COMMON_OPTIONS,
      ...WAIT_OPTIONS,
      raw: { type: 'boolean' },
      before: { type: 'string' },
      'rule-no': { type: 'string' },
    },
    async run({ values, positionals, io, connect }) {
      const [name, action = 'list', ...args] = positionals;
      if (name === undefined) throw new UsageError('expected QUBE');
      // Every flag is checked before anything is read or changed.
      const before = ruleNumber(values.before, '--before');
      const ruleNo = ruleNumber(values['rule-no'], '--rule-no');
      if (before !== undefined && action !== 'add') throw new UsageError('--before goes with add');
      if (ruleNo !== undefined && action !== 'del') throw new UsageError('--rule-no goes with del');
      if (values.raw && action !== 'list') throw new UsageError('--raw goes with list');
      const vm = await (await connect()).domains.get(name);
      const extra = { qube: name, action };
      switch (action) {
        case 'list': {
          if (args.length) throw new UsageError('list takes no arguments');
          const [rules, error] = await Promise.all([vm.firewall.getRules(), vm.firewall.error()]);
          if (error !== null) writeLine(io.stderr, `qnet: warning: ${firewallErrorLine(name, error)}`);
          const now = clock();
          const live = liveRules(rules, now);
          if (values.json)
            printJson(
              io,
              live.map((r) => r.line),
            );
          else if (values.raw) for (const r of live) writeLine(io.stdout, r.line);
          else
            writeLine(
              io.stdout,
              formatTable(
                FIREWALL_TABLE_HEADER,
                live.map((r, i) => tableRow(r, i, now)),
              ),
            );
          return 0;
        }
        case 'add': {
          if (!args.length) throw new UsageError('add needs a rule');
          const line = toApiLine(parseCliRule(args.map(shellQuote).join(' '), clock()));
          // Compare-and-set with retry: concurrent adds and dels never lose each other's rules.
          const batch = await vm.firewall.edit((rules) => {
            const live = liveRules(rules, clock()).map((r) => r.line);
            if (before !== undefined && before > live.length) {
              throw new BadRequestError(`no rule ${before} to add before: there are ${live.length}`);
            }
            // Python's list.insert: before N puts the new rule at index N; expired rules are dropped as qubesd does.
            return before === undefined ? [...live, line] : [...live.slice(0, before), line, ...live.slice(before)];
          });
          return reportPushes(batch, io, values, extra);
        }
        case 'del': {
          if (ruleNo !== undefined && args.length) throw new UsageError('del takes --rule-no N or a rule, not both');
          if (ruleNo === undefined && !args.length) throw new UsageError('del needs --rule-no N or a rule');
          const number = ruleNo ?? (args.length === 1 && /^[0-9]{1,4}$/.test(args[0]) ? Number(args[0]) : undefined);
          const wanted =
            number !== undefined ? undefined : toApiLine(parseCliRule(args.map(shellQuote).join(' '), clock()));
          const batch = await vm.firewall.edit((rules) => {
            const live = liveRules(rules, clock()).map((r) => r.line);
            const index = number ?? live.indexOf(wanted!);
            if (number !== undefined && index >= live.length) {
              throw new NotFoundError(`no rule ${index}: there are ${live.length}`);
            }
            if (index < 0) throw new NotFoundError(`no rule equal to ${JSON.stringify(wanted!.slice(0, 200))}`);
            return live.filter((_, i) => i !== index);
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

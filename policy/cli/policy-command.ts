import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { EXIT_USAGE, UsageError, parseCli, reportError, writeLine, type CliIo } from '../../shared/cli/cli';
import { createLogger, logOptionsFromEnv } from '../../shared/logging/logger';
import { untilStopSignal } from '../../shared/runtime/stop-signal';
import { AccessDeniedError } from '../errors';
import { evaluateRequest, type Evaluation } from '../evaluator/evaluate';
import { toEvaluationReport } from '../evaluator/describe-evaluation';
import { IndexedPolicy } from '../evaluator/indexed-policy';
import { DEFAULT_LEGACY_POLICY_DIR, loadPolicyRules } from '../loader/load-policy';
import { DENY_RESPONSE, renderDaemonResponse } from '../daemon/render-daemon-response';
import { PolicyDaemonServer } from '../daemon/policy-daemon-server';
import { PolicySource, loadSnapshot } from '../policy-source';
import { parseEvalQuery } from './parse-eval-query';

const PROG = 'qnet policy';

const USAGE = `usage: ${PROG} COMMAND [ARGS...]

  eval   --policy-dir DIR [--policy-dir DIR ...] --system-info FILE [QUERIES|-]
         decide JSON-line queries as the Qubes policy daemon would
  check  DIR...
         report every policy error with file and line; exit 0 only when clean
  serve  --socket PATH --policy-dir DIR [...] --system-info FILE
         answer qrexec-daemon on the policy-daemon socket, reloading on change`;

const EVAL_HELP = `usage: ${PROG} eval --policy-dir DIR [--policy-dir DIR ...] --system-info FILE [QUERIES|-]

Each query is a JSON line: {"id", "service", "argument", "source", "target"}
or {"id", "service_and_arg", "source", "target"}, optionally with
"ask_response" ("deny" or "allow:TARGET") and "requested_source".
Each answer is a JSON line: id, decision, rule, target, user, autostart,
notify, targets_for_ask, default_target, error, daemon_response.

  --policy-dir DIR         a policy directory; earlier ones win on equal file names
  --system-info FILE       the internal.GetSystemInfo JSON document
  --legacy-policy-dir DIR  where !compat-4.0 looks (default ${DEFAULT_LEGACY_POLICY_DIR})`;

const CHECK_HELP = `usage: ${PROG} check [--legacy-policy-dir DIR] DIR...

Loads the policy directories as the policy daemon would and prints every
error as FILE:LINE: message. Exit status 0 only when there is none.`;

const SERVE_HELP = `usage: ${PROG} serve --socket PATH --policy-dir DIR [...] --system-info FILE

Serves the qrexec policy-daemon protocol on a Unix socket. The policy and the
system info are reloaded when their files change; each request is decided
against one complete snapshot.

  --socket PATH            the socket to create (mode 0660)
  --policy-dir DIR         a policy directory (repeatable)
  --system-info FILE       the internal.GetSystemInfo JSON document
  --legacy-policy-dir DIR  where !compat-4.0 looks (default ${DEFAULT_LEGACY_POLICY_DIR})
  --poll-ms N              re-check interval when no change event arrives (default 1000)`;

const COMMON = {
  help: { type: 'boolean', short: 'h' },
  'policy-dir': { type: 'string', multiple: true },
  'system-info': { type: 'string' },
  'legacy-policy-dir': { type: 'string' },
} as const;

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

function required(value: string | string[] | undefined, flag: string): void {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) throw new UsageError(`${flag} is required`);
}

async function runEval(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCli(argv, COMMON);
  if (values.help) return (writeLine(io.stdout, EVAL_HELP), 0);
  required(values['policy-dir'], '--policy-dir');
  required(values['system-info'], '--system-info');
  if (positionals.length > 1) throw new UsageError('at most one QUERIES file');
  // as in the daemon, an unusable policy or system info denies every query (stage "load")
  const { state, info } = loadSnapshot({
    policyDirs: values['policy-dir'] as string[],
    systemInfoPath: values['system-info'] as string,
    legacyDir: values['legacy-policy-dir'],
  });
  if (state instanceof AccessDeniedError) writeLine(io.stderr, `${PROG} eval: denying everything: ${state.message}`);
  const source = positionals[0] ?? '-';
  const text = source === '-' ? await readAll(io.stdin) : readFileSync(source, 'utf8');
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const query = parseEvalQuery(line);
    let evaluation: Evaluation;
    let response: string;
    if (query.problem !== undefined) {
      evaluation = {
        request: query.request,
        resolved: null,
        rule: null,
        outcome: { kind: 'deny', stage: 'request', message: query.problem, notify: true },
      };
      response = DENY_RESPONSE;
    } else {
      evaluation = evaluateRequest(state, info, query.request);
      response = renderDaemonResponse(evaluation, info, {
        justEvaluate: false,
        assumeYesForAsk: false,
        askResponse: query.askResponse,
      });
    }
    writeLine(io.stdout, JSON.stringify(toEvaluationReport(query.id, evaluation, response)));
  }
  return 0;
}

function runCheck(argv: string[], io: CliIo): number {
  const { values, positionals } = parseCli(argv, {
    help: COMMON.help,
    'legacy-policy-dir': COMMON['legacy-policy-dir'],
  });
  if (values.help) return (writeLine(io.stdout, CHECK_HELP), 0);
  if (positionals.length === 0) throw new UsageError('give at least one policy directory');
  const errors: string[] = [];
  const rules = loadPolicyRules(positionals, {
    legacyDir: values['legacy-policy-dir'],
    onError: (err: AccessDeniedError) => errors.push(err.message),
  });
  for (const e of errors) writeLine(io.stdout, e);
  if (errors.length > 0) {
    writeLine(
      io.stderr,
      `${PROG} check: ${errors.length} error${errors.length > 1 ? 's' : ''}: every request is denied`,
    );
    return 1;
  }
  // the index is what serve builds; building it here proves the policy loads end to end
  new IndexedPolicy(rules);
  writeLine(io.stdout, `ok: ${rules.length} rule${rules.length === 1 ? '' : 's'}`);
  return 0;
}

async function runServe(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCli(argv, { ...COMMON, socket: { type: 'string' }, 'poll-ms': { type: 'string' } }, false);
  if (values.help) return (writeLine(io.stdout, SERVE_HELP), 0);
  required(values.socket, '--socket');
  required(values['policy-dir'], '--policy-dir');
  required(values['system-info'], '--system-info');
  const pollMs = values['poll-ms'] === undefined ? undefined : Number(values['poll-ms']);
  if (pollMs !== undefined && !(Number.isInteger(pollMs) && pollMs > 0)) {
    throw new UsageError('--poll-ms must be a positive integer');
  }
  const source = new PolicySource({
    policyDirs: values['policy-dir'] as string[],
    systemInfoPath: values['system-info'] as string,
    legacyDir: values['legacy-policy-dir'],
    pollMs,
    log: createLogger(logOptionsFromEnv(process.env, `${PROG} serve`)),
  });
  const server = new PolicyDaemonServer(source);
  try {
    source.start();
    await server.listen(values.socket as string);
    writeLine(io.stderr, `${PROG} serve: listening on ${values.socket}`);
    const { state } = source.current();
    if (state instanceof AccessDeniedError) writeLine(io.stderr, `${PROG} serve: denying everything: ${state.message}`);
    await untilStopSignal();
  } finally {
    await server.dispose();
    await source.dispose();
  }
  return 0;
}

/** `qnet policy ...`: the qnet CLI loads this module on demand and passes what follows `policy`. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    switch (sub) {
      case 'eval':
        return await runEval(rest, io);
      case 'check':
        return runCheck(rest, io);
      case 'serve':
        return await runServe(rest, io);
      case '--help':
      case '-h':
      case 'help':
        writeLine(io.stdout, USAGE);
        return 0;
      case undefined:
        writeLine(io.stderr, USAGE);
        return EXIT_USAGE;
      default:
        throw new UsageError(`unknown policy command ${JSON.stringify(sub)}`);
    }
  } catch (err) {
    return reportError(sub ? `${PROG} ${sub}` : PROG, io, err);
  }
}

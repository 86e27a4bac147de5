import type { WriteStream } from 'node:tty';
import { parseCli, reportError, UsageError, writeLine, type CliIo } from '../../../shared/cli/cli';
import { exitCodeFor } from '../../../shared/errors/codes';
import type { PushResult, RuleFailureReport } from '../../../services/admin/admin-schemas';
import { ruleFailureLine } from '../../reconciler/rule-failures';
import type { PushBatch } from '../../sdk/push-batch';
import { Qubes } from '../../sdk/qubes';
import { renderProgress } from './progress-bar';
import { formatTable } from './text-table';

export const EXIT_OK = 0;
/** A push failed (EX_SOFTWARE, as APPLY_FAILED). */
export const EXIT_PUSH_FAILED = exitCodeFor('APPLY_FAILED');
/** Pushes were still pending at the deadline (EX_TEMPFAIL). */
export const EXIT_PUSH_PENDING = exitCodeFor('TIMEOUT');

/** Options every qnetd-backed command takes. */
export const COMMON_OPTIONS = {
  'run-dir': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;
export const WAIT_OPTIONS = {
  'no-wait': { type: 'boolean' },
  timeout: { type: 'string' },
} as const;
export const COMMON_USAGE = [
  '  --run-dir DIR   where qnetd.sock is (default $QNET_RUN_DIR, else /run/qnet)',
  '  --json          machine-readable output on stdout',
  '  -h, --help      this help',
];
export const WAIT_USAGE = [
  '  --no-wait       do not wait for the resulting pushes',
  '  --timeout SEC   how long to wait for them (default 120)',
];

export type ParsedValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface CommandSpec<O extends NonNullable<Parameters<typeof parseCli>[1]>> {
  readonly usage: string;
  readonly options: O;
  run(ctx: {
    values: ReturnType<typeof parseCli<O>>['values'];
    positionals: string[];
    io: CliIo;
    connect: () => Promise<Qubes>;
  }): Promise<number>;
}

/** One line on stderr, `qnet: CODE: message`, and the code's exit status. */
export function reportQnetError(io: CliIo, err: unknown): number {
  return reportError('qnet', io, err);
}

/** Parses, answers --help, connects on demand, and turns every failure into one line and an exit code. */
export function qnetCommand<O extends NonNullable<Parameters<typeof parseCli>[1]>>(spec: CommandSpec<O>) {
  return async function run(argv: string[], io: CliIo): Promise<number> {
    let app: Qubes | undefined;
    try {
      const { values, positionals } = parseCli(argv, spec.options);
      if ((values as ParsedValues).help) {
        writeLine(io.stdout, spec.usage);
        return EXIT_OK;
      }
      // Every flag whose value needs checking is checked here, before the
      // command connects: a bad flag must never be found after the change it
      // came with was applied.
      validateFlags(values as ParsedValues);
      const runDir = (values as ParsedValues)['run-dir'];
      const connect = async () =>
        (app ??= await Qubes.connect({
          runDir: typeof runDir === 'string' ? runDir : io.env.QNET_RUN_DIR || undefined,
        }));
      return await spec.run({ values, positionals, io, connect });
    } catch (err) {
      return reportQnetError(io, err);
    } finally {
      app?.close();
    }
  };
}

export function printJson(io: CliIo, value: unknown): void {
  writeLine(io.stdout, JSON.stringify(value, null, 2));
}

/**
 * The value checks of the shared options (today `--timeout`), run by
 * `qnetCommand` before any command body. A command's own flags are parsed
 * at the top of its `run`, before `connect()`.
 */
export function validateFlags(values: ParsedValues): void {
  waitTimeoutMs(values);
}

export function waitTimeoutMs(values: ParsedValues): number {
  const raw = values.timeout;
  if (raw === undefined) return 120_000;
  const seconds = Number(raw);
  if (typeof raw !== 'string' || !Number.isFinite(seconds) || seconds < 0) {
    throw new UsageError(`--timeout takes seconds, got ${JSON.stringify(String(raw).slice(0, 16))}`);
  }
  return Math.round(seconds * 1000);
}

function describeResult(r: PushResult): string {
  if (r.error) {
    const tries = r.attempts ? ` (after ${r.attempts} attempt(s); qnetd keeps retrying)` : '';
    return `${r.error.code}: ${r.error.message}${tries}`;
  }
  if (r.ruleFailures?.length) return `${r.ruleFailures.length} firewall rule(s) not installed`;
  return r.outcome === 'skipped' ? 'qube halted or gone' : '';
}

/** One line per firewall rule a provider could not install, under the table they belong to. */
/** A qube whose rules dom0 cannot send: its netvm drops all its traffic until they are fixed. */
export const firewallErrorLine = (qube: string, error: string) =>
  `${qube}'s firewall fails closed (all dropped): ${error}`;

export function ruleFailureLines(rows: readonly { qube: string; ruleFailures?: readonly RuleFailureReport[] }[]) {
  return rows.flatMap((r) => (r.ruleFailures ?? []).map((f) => `${r.qube}: rule not installed: ${ruleFailureLine(f)}`));
}

/**
 * After a change: waits for its pushes (a progress bar on a terminal's
 * stderr when there are several), prints the result table (or JSON with
 * `extra`), and returns 0, or non-zero when a push failed or is still pending.
 */
export async function reportPushes(
  batch: PushBatch,
  io: CliIo,
  values: ParsedValues,
  extra: Record<string, unknown> = {},
): Promise<number> {
  const json = values.json === true;
  if (values['no-wait'] === true || batch.pushes.length === 0) {
    if (json) printJson(io, { ...extra, complete: batch.pushes.length === 0, pushes: batch.pushes });
    return EXIT_OK;
  }
  const tty = (io.stderr as Partial<WriteStream>).isTTY === true && batch.pushes.length > 1;
  const report = await batch.wait({
    timeoutMs: waitTimeoutMs(values),
    ...(tty
      ? {
          onProgress: (results) => {
            const done = results.filter((r) => r.outcome !== 'pending').length;
            const failed = results.filter((r) => r.outcome === 'failed').length;
            io.stderr.write(`\r${renderProgress(done, failed, results.length)}`);
          },
        }
      : {}),
  });
  if (tty) io.stderr.write('\n');
  if (json) printJson(io, { ...extra, complete: report.complete, results: report.results });
  else {
    writeLine(
      io.stdout,
      formatTable(
        ['QUBE', 'SERVICE', 'GENERATION', 'RESULT', 'DETAIL'],
        report.results.map((r) => [r.qube, r.service, String(r.generation), r.outcome, describeResult(r)]),
      ),
    );
    for (const line of ruleFailureLines(report.results)) writeLine(io.stdout, line);
  }
  if (report.failed.length > 0) {
    writeLine(io.stderr, `qnet: APPLY_FAILED: ${report.failed.length} of ${report.results.length} pushes failed`);
    return EXIT_PUSH_FAILED;
  }
  if (!report.complete) {
    writeLine(io.stderr, `qnet: TIMEOUT: pushes still pending after ${waitTimeoutMs(values) / 1000} s`);
    return EXIT_PUSH_PENDING;
  }
  return EXIT_OK;
}

export function expectPositionals(positionals: string[], min: number, max: number, usage: string): void {
  if (positionals.length < min || positionals.length > max) {
    throw new UsageError(`expected ${usage}, got ${positionals.length} argument(s)`);
  }
}

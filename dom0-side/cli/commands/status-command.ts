import { writeLine } from '../../../shared/cli/cli';
import { exitCodeFor } from '../../../shared/errors/codes';
import type { PushStatus } from '../../../services/admin/admin-schemas';
import {
  COMMON_OPTIONS,
  COMMON_USAGE,
  EXIT_OK,
  expectPositionals,
  firewallErrorLine,
  printJson,
  qnetCommand,
  ruleFailureLines,
} from './cli-kit';
import { cellText, formatTable } from './text-table';

/** Some running qube does not hold its desired documents yet (EX_TEMPFAIL: qnetd is still on it). */
export const EXIT_NOT_CONVERGED = exitCodeFor('TIMEOUT');

/** Converged: every running qube acknowledged the generation dom0 wants it to hold. */
export const isConverged = (rows: readonly PushStatus[]) =>
  rows.every((r) => r.power !== 'running' || r.state === 'ok');

export const run = qnetCommand({
  usage: [
    'usage: qnet status [QUBE...]',
    '',
    'Desired against applied generation per qube and service, and why anything is behind: queued,',
    'pushing, applying, retrying (attempt N, next in Ts, with the last error: qnetd retries with a capped',
    'backoff for as long as the qube runs), halted (the qube pulls at boot). Firewall rules a provider',
    'could not install are listed under the table with their client qube, rule number, rule and reason.',
    'A qube whose firewall dom0 cannot send (a rule the wire cannot carry) is listed too: its netvm drops',
    'all its traffic until the rule is fixed (`firewallError` on its rows in --json).',
    '',
    'Exit status: 0 when every running qube (of those named) is converged; 75 (EX_TEMPFAIL) when one is',
    'not yet, so monitoring can alert on it; 69 when qnetd does not answer. Rules that could not be',
    'installed and firewalls that fail closed do not change it: the document is in force.',
    ...COMMON_USAGE,
  ].join('\n'),
  options: { ...COMMON_OPTIONS },
  async run({ values, positionals, io, connect }) {
    expectPositionals(positionals, 0, Infinity, 'QUBE...');
    const wanted = new Set(positionals);
    const rows = (await (await connect()).status()).filter((r) => wanted.size === 0 || wanted.has(r.qube));
    const firewallErrors = new Map(rows.flatMap((r) => (r.firewallError ? [[r.qube, r.firewallError] as const] : [])));
    if (values.json) printJson(io, rows);
    else {
      writeLine(
        io.stdout,
        formatTable(
          ['QUBE', 'SERVICE', 'POWER', 'DESIRED', 'APPLIED', 'STATE', 'WHY'],
          rows.map((r) => [
            r.qube,
            r.service,
            r.power,
            String(r.desired),
            cellText(r.applied) || '-',
            r.state,
            r.reason ?? '',
          ]),
        ),
      );
      for (const line of ruleFailureLines(rows)) writeLine(io.stdout, line);
      for (const [qube, error] of firewallErrors) {
        writeLine(io.stdout, firewallErrorLine(qube, error));
      }
    }
    return isConverged(rows) ? EXIT_OK : EXIT_NOT_CONVERGED;
  },
});

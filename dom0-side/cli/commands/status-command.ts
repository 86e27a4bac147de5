import { writeLine } from '../../../shared/cli/cli';
import { COMMON_OPTIONS, COMMON_USAGE, expectPositionals, printJson, qnetCommand } from './cli-kit';
import { cellText, formatTable } from './text-table';

export const run = qnetCommand({
  usage: [
    'usage: qnet status [QUBE...]',
    '',
    'Desired against applied generation per qube and service, and why anything is behind',
    '(halted, queued, pushing, or the last error). Exit status 0 whenever qnetd answered.',
    ...COMMON_USAGE,
  ].join('\n'),
  options: { ...COMMON_OPTIONS },
  async run({ values, positionals, io, connect }) {
    expectPositionals(positionals, 0, Infinity, 'QUBE...');
    const wanted = new Set(positionals);
    const rows = (await (await connect()).status()).filter((r) => wanted.size === 0 || wanted.has(r.qube));
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
    }
    return 0;
  },
});

import { COMMON_OPTIONS, COMMON_USAGE, qnetCommand, reportPushes, WAIT_OPTIONS, WAIT_USAGE } from './cli-kit';

export const run = qnetCommand({
  usage: [
    'usage: qnet push [QUBE...]',
    '',
    'Sends the current documents of these running qubes again (every running qube when none is named)',
    'and waits for them: a repair after a qube lost its state, or a check that all is applied.',
    ...COMMON_USAGE,
    ...WAIT_USAGE,
  ].join('\n'),
  options: { ...COMMON_OPTIONS, ...WAIT_OPTIONS },
  async run({ values, positionals, io, connect }) {
    return reportPushes(await (await connect()).push(positionals), io, values);
  },
});

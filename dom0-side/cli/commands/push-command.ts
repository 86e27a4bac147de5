import { COMMON_OPTIONS, COMMON_USAGE, qnetCommand, reportPushes, WAIT_OPTIONS, WAIT_USAGE } from './cli-kit';

export const run = qnetCommand({
  usage: [
    'usage: qnet push [QUBE...]',
    '',
    'Sends the current documents of these running qubes again (every running qube when none is named)',
    'and waits for them: a repair after a qube lost its state, or a check that all is applied.',
    'Each push is a request of its own: it is done only when the qube acknowledges a send made for it',
    '(an earlier acknowledgement of the same generation does not count), and failed when its first tries',
    "all failed; qnetd then keeps retrying with a capped backoff (see 'qnet status').",
    'Exit status: 0 all done; 70 a push failed; 75 still pending at --timeout; 69 qnetd not running.',
    ...COMMON_USAGE,
    ...WAIT_USAGE,
  ].join('\n'),
  options: { ...COMMON_OPTIONS, ...WAIT_OPTIONS },
  async run({ values, positionals, io, connect }) {
    return reportPushes(await (await connect()).push(positionals), io, values);
  },
});

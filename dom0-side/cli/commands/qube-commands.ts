import { UsageError, writeLine } from '../../../shared/cli/cli';
import { QUBE_CLASSES, type QubeClass } from '../../inventory/qube';
import {
  COMMON_OPTIONS,
  COMMON_USAGE,
  expectPositionals,
  type ParsedValues,
  printJson,
  qnetCommand,
  reportPushes,
  WAIT_OPTIONS,
  WAIT_USAGE,
} from './cli-kit';
import { cellText, formatTable } from './text-table';

function integer(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-9]{1,5}$/.test(value))
    throw new UsageError(`${flag} takes a number, got ${JSON.stringify(value.slice(0, 16))}`);
  return Number(value);
}

/** `none` (or empty) is no netvm, as qvm-prefs writes it. */
export const netvmArgument = (value: string): string | null => (value === '' || value === 'none' ? null : value);

export const runCreate = qnetCommand({
  usage: [
    'usage: qnet create NAME [--class CLASS] [--netvm NETVM|none] [--provides-network] [--qid N] [--dispid N]',
    '',
    "The embedded store's qvm-create: the new qube is halted; its netvm defaults to none.",
    '  --class CLASS        AppVM (default), DispVM, TemplateVM or StandaloneVM',
    '  --qid N, --dispid N  ids (default: the lowest free); a DispVM is addressed by its dispid',
    ...COMMON_USAGE,
  ].join('\n'),
  options: {
    ...COMMON_OPTIONS,
    ...WAIT_OPTIONS,
    class: { type: 'string' },
    netvm: { type: 'string' },
    'provides-network': { type: 'boolean' },
    qid: { type: 'string' },
    dispid: { type: 'string' },
  },
  async run({ values, positionals, io, connect }) {
    expectPositionals(positionals, 1, 1, 'NAME');
    const klass = values.class ?? 'AppVM';
    if (!QUBE_CLASSES.includes(klass as QubeClass)) {
      throw new UsageError(`--class must be one of ${QUBE_CLASSES.join(', ')}`);
    }
    const app = await connect();
    const qid = integer(values.qid, '--qid');
    const dispid = integer(values.dispid, '--dispid');
    const vm = await app.domains.create(positionals[0], {
      klass: klass as QubeClass,
      netvm: values.netvm === undefined ? null : netvmArgument(values.netvm),
      providesNetwork: values['provides-network'] === true,
      ...(qid !== undefined ? { qid } : {}),
      ...(dispid !== undefined ? { dispid } : {}),
    });
    if (values.json) printJson(io, await vm.prefs());
    return 0;
  },
});

export const runRemove = qnetCommand({
  usage: ['usage: qnet remove NAME', '', "The embedded store's qvm-remove.", ...COMMON_USAGE, ...WAIT_USAGE].join('\n'),
  options: { ...COMMON_OPTIONS, ...WAIT_OPTIONS },
  async run({ values, positionals, io, connect }) {
    expectPositionals(positionals, 1, 1, 'NAME');
    const app = await connect();
    return reportPushes(await app.domains.remove(positionals[0]), io, values, { removed: positionals[0] });
  },
});

const FORCE_OPTION = { force: { type: 'boolean' } } as const;

function powerCommand(verb: 'start' | 'shutdown') {
  return qnetCommand({
    usage: [
      `usage: qnet ${verb} NAME`,
      '',
      verb === 'start'
        ? 'Records that the qube runs (its vif exists), as qvm-start would; its provider learns of it and it gets its documents.'
        : 'Records that the qube stopped; its provider forgets its vif. Nothing is pushed to the qube itself.',
      ...(verb === 'shutdown'
        ? ['  --force         also when running qubes are connected to it (they lose their network)']
        : []),
      ...COMMON_USAGE,
      ...WAIT_USAGE,
    ].join('\n'),
    options: { ...COMMON_OPTIONS, ...WAIT_OPTIONS, ...(verb === 'shutdown' ? FORCE_OPTION : {}) },
    async run({ values, positionals, io, connect }) {
      expectPositionals(positionals, 1, 1, 'NAME');
      const app = await connect();
      const vm = await app.domains.get(positionals[0]);
      const force = (values as ParsedValues).force === true;
      return reportPushes(verb === 'start' ? await vm.start() : await vm.shutdown({ force }), io, values, {
        qube: vm.name,
        power: verb === 'start' ? 'running' : 'halted',
      });
    },
  });
}
export const runStart = powerCommand('start');
export const runShutdown = powerCommand('shutdown');

export const runLs = qnetCommand({
  usage: ['usage: qnet ls', '', 'Every qube: class, power state, netvm and address.', ...COMMON_USAGE].join('\n'),
  options: { ...COMMON_OPTIONS },
  async run({ values, positionals, io, connect }) {
    expectPositionals(positionals, 0, 0, 'no arguments');
    const qubes = await (await connect()).domains.list();
    if (values.json) printJson(io, qubes);
    else {
      writeLine(
        io.stdout,
        formatTable(
          ['NAME', 'CLASS', 'STATE', 'NETVM', 'PROVIDES', 'IP', 'IP6'],
          qubes.map((q) => [
            q.name,
            q.klass,
            q.power === 'running' ? 'Running' : 'Halted',
            q.netvm ?? '-',
            q.provides_network ? 'yes' : 'no',
            cellText(q.ip) || '-',
            cellText(q.ip6) || '-',
          ]),
        ),
      );
    }
    return 0;
  },
});

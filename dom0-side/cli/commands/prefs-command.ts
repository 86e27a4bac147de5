import { UsageError, writeLine } from '../../../shared/cli/cli';
import type { QubeInfo } from '../../../services/admin/admin-schemas';
import type { SettableProperty } from '../../sdk/domain';
import {
  COMMON_OPTIONS,
  COMMON_USAGE,
  expectPositionals,
  printJson,
  qnetCommand,
  reportPushes,
  WAIT_OPTIONS,
  WAIT_USAGE,
} from './cli-kit';
import { netvmArgument } from './qube-commands';
import { cellText, formatTable } from './text-table';

const SETTABLE: readonly SettableProperty[] = ['netvm', 'provides_network', 'ip', 'ip6'];
/** Shown without --json, in qvm-prefs's alphabetical manner; the rest is in --json. */
const SHOWN: readonly (keyof QubeInfo)[] = [
  'dns',
  'gateway',
  'gateway6',
  'ip',
  'ip6',
  'klass',
  'mac',
  'name',
  'netmask',
  'netvm',
  'power',
  'provides_network',
  'qid',
  'visible_ip',
  'visible_ip6',
];

function parseBool(text: string): boolean {
  if (/^(true|1|yes|on)$/i.test(text)) return true;
  if (/^(false|0|no|off)$/i.test(text)) return false;
  throw new UsageError(`provides_network takes True or False, got ${JSON.stringify(text.slice(0, 16))}`);
}

export const run = qnetCommand({
  usage: [
    'usage: qnet prefs QUBE [PROP [VALUE]] | qnet prefs QUBE --default PROP',
    '',
    'Shows all properties, one property, or sets one (netvm, provides_network, ip, ip6).',
    'netvm none (or empty) disconnects; --default (-D) returns PROP to its default.',
    ...COMMON_USAGE,
    ...WAIT_USAGE,
  ].join('\n'),
  options: { ...COMMON_OPTIONS, ...WAIT_OPTIONS, default: { type: 'boolean', short: 'D' } },
  async run({ values, positionals, io, connect }) {
    expectPositionals(positionals, 1, values.default ? 2 : 3, 'QUBE [PROP [VALUE]]');
    const [name, prop, value] = positionals;
    const vm = await (await connect()).domains.get(name);
    if (prop === undefined) {
      const info = await vm.prefs();
      if (values.json) printJson(io, info);
      else
        writeLine(
          io.stdout,
          formatTable(
            ['PROPERTY', 'VALUE'],
            SHOWN.map((k) => [k, cellText(info[k])]),
          )
            .split('\n')
            .slice(1)
            .join('\n'),
        );
      return 0;
    }
    if (value === undefined && !values.default) {
      const info = await vm.prefs();
      if (!Object.prototype.hasOwnProperty.call(info, prop))
        throw new UsageError(`no such property ${JSON.stringify(prop.slice(0, 32))}`);
      const v = info[prop as keyof QubeInfo];
      if (values.json) printJson(io, v);
      else writeLine(io.stdout, cellText(v));
      return 0;
    }
    if (!SETTABLE.includes(prop as SettableProperty)) {
      throw new UsageError(
        `property ${JSON.stringify(prop.slice(0, 32))} cannot be set (settable: ${SETTABLE.join(', ')})`,
      );
    }
    const setting = prop as SettableProperty;
    const next = values.default
      ? setting === 'provides_network'
        ? false
        : null
      : setting === 'provides_network'
        ? parseBool(value!)
        : setting === 'netvm'
          ? netvmArgument(value!)
          : value!;
    return reportPushes(await vm.setProperty(setting, next), io, values, { qube: name, property: prop, value: next });
  },
});

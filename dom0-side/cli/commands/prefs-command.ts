import { UsageError, writeLine } from '../../../shared/cli/cli';
import { NETWORK_PROPERTIES, type QubeInfo } from '../../../services/admin/admin-schemas';
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
import { cellText } from './text-table';

const SETTABLE: readonly SettableProperty[] = ['netvm', 'provides_network', 'ip', 'ip6'];
/** Shown without --json, as qvm-prefs lists them (alphabetically); qnet's extras are in --json. */
const SHOWN: readonly (keyof QubeInfo)[] = (
  [...NETWORK_PROPERTIES, 'klass', 'name', 'qid'] as (keyof QubeInfo)[]
).sort();
const PROPERTY_NAME_RE = /^[a-z][a-z0-9_]{0,63}$/;

/** A value as qvm-prefs prints it: Python's True/False, lists space-separated, None as nothing. */
function prefsText(value: unknown): string {
  return typeof value === 'boolean' ? (value ? 'True' : 'False') : cellText(value);
}

/** One qvm-prefs line: `NAME  D  VALUE` for a default, `NAME  -  VALUE` for a value set on the qube. */
function prefsLines(info: QubeInfo): string {
  const width = Math.max(...SHOWN.map((k) => k.length));
  return SHOWN.map((k) => {
    // name and qid are set on every qube but dom0, so never listed among the defaults.
    return `${k.padEnd(width)}  ${info.defaults.includes(k) ? 'D' : '-'}  ${prefsText(info[k])}`.trimEnd();
  }).join('\n');
}

function parseBool(text: string): boolean {
  if (/^(true|1|yes|on)$/i.test(text)) return true;
  if (/^(false|0|no|off)$/i.test(text)) return false;
  throw new UsageError(`provides_network takes True or False, got ${JSON.stringify(text.slice(0, 16))}`);
}

export const run = qnetCommand({
  usage: [
    'usage: qnet prefs QUBE [PROP [VALUE]] | qnet prefs QUBE --default PROP',
    '',
    'Shows the properties as qvm-prefs does (D: at its default, -: set on the qube), one property,',
    'or sets one (netvm, provides_network, ip, ip6). netvm none (or empty) disconnects;',
    '--default (-D) returns PROP to its default (netvm follows default_netvm again).',
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
      else writeLine(io.stdout, prefsLines(info));
      return 0;
    }
    if (value === undefined && !values.default) {
      const info = await vm.prefs();
      if (!Object.prototype.hasOwnProperty.call(info, prop))
        throw new UsageError(`no such property ${JSON.stringify(prop.slice(0, 32))}`);
      const v = info[prop as keyof QubeInfo];
      if (values.json) printJson(io, v);
      else writeLine(io.stdout, prefsText(v));
      return 0;
    }
    if (values.default) {
      // qvm-prefs --default: qubesadmin's `del vm.PROP`, i.e. admin.vm.property.Reset.
      if (!PROPERTY_NAME_RE.test(prop))
        throw new UsageError(`invalid property name ${JSON.stringify(prop.slice(0, 32))}`);
      return reportPushes(await vm.resetProperty(prop), io, values, { qube: name, property: prop, reset: true });
    }
    if (!SETTABLE.includes(prop as SettableProperty)) {
      throw new UsageError(
        `property ${JSON.stringify(prop.slice(0, 32))} cannot be set (settable: ${SETTABLE.join(', ')})`,
      );
    }
    const setting = prop as SettableProperty;
    const next =
      setting === 'provides_network' ? parseBool(value!) : setting === 'netvm' ? netvmArgument(value!) : value!;
    return reportPushes(await vm.setProperty(setting, next), io, values, { qube: name, property: prop, value: next });
  },
});

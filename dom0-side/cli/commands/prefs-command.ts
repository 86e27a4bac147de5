import { UsageError, writeLine } from '../../../shared/cli/cli';
import { NETWORK_PROPERTIES, type QubeInfo } from '../../../services/admin/admin-schemas';
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
import { propertyName, propertyValue, settableProperty } from './property-arguments';
import { cellText } from './text-table';

/** Shown without --json, as qvm-prefs lists them (alphabetically); qnet's extras are in --json. */
const SHOWN: readonly (keyof QubeInfo)[] = (
  [...NETWORK_PROPERTIES, 'klass', 'label', 'name', 'qid'] as (keyof QubeInfo)[]
).sort();

/** `--help-properties`: qvm-prefs lists every property with a line about it; these are qnet's. */
const PROPERTY_HELP: Readonly<Record<string, string>> = {
  dns: 'DNS servers the qube is given (read-only)',
  gateway: 'the address a network-providing qube offers its clients (read-only)',
  gateway6: 'the IPv6 address a network-providing qube offers its clients (read-only)',
  ip: "the qube's IPv4 address (settable; -D returns to the planned one)",
  ip6: "the qube's IPv6 address (settable; -D returns to the planned one)",
  klass: 'the qube class (read-only)',
  label: 'the label qnet create -l gave it (read-only in qnet)',
  mac: "the qube's MAC address (read-only)",
  name: 'the qube name (read-only)',
  netvm: 'the qube providing network (settable, live; none disconnects; -D follows default_netvm)',
  provides_network: 'whether the qube provides network to others (settable)',
  qid: 'the qube id (read-only)',
  visible_gateway: "the qube's own default gateway: its netvm's gateway (read-only)",
  visible_gateway6: "the qube's own IPv6 default gateway (read-only)",
  visible_ip: 'the address the qube sees for itself (read-only)',
  visible_ip6: 'the IPv6 address the qube sees for itself (read-only)',
  visible_netmask: 'the netmask the qube sees (read-only)',
};

/** A value as qvm-prefs prints it: Python's True/False, lists space-separated, None as nothing. */
function prefsText(value: unknown): string {
  return typeof value === 'boolean' ? (value ? 'True' : 'False') : cellText(value);
}

/** One qvm-prefs line: `NAME  D  VALUE` for a default, `NAME  -  VALUE` for a value set on the qube. */
function prefsLines(info: QubeInfo, hideDefault: boolean): string {
  const width = Math.max(...SHOWN.map((k) => k.length));
  return SHOWN.filter((k) => !(hideDefault && info.defaults.includes(k)))
    .map((k) => {
      // name and qid are set on every qube but dom0, so never listed among the defaults.
      return `${k.padEnd(width)}  ${info.defaults.includes(k) ? 'D' : '-'}  ${prefsText(info[k])}`.trimEnd();
    })
    .join('\n');
}

export const run = qnetCommand({
  usage: [
    'usage: qnet prefs QUBE [PROP [VALUE]] | qnet prefs QUBE --default PROP | qnet prefs --help-properties',
    '',
    'Shows the properties as qvm-prefs does (D: at its default, -: set on the qube), one property,',
    'or sets one (netvm, provides_network, ip, ip6). netvm none (any case, or empty) disconnects;',
    '--default (-D) returns PROP to its default (netvm follows default_netvm again).',
    'PROP may be written with - for _ (provides-network).',
    '  --hide-default      do not list properties at their default',
    '  --help-properties   list the properties with a line about each',
    '  -g, --get, -s, --set   ignored, as by qvm-prefs (for older scripts)',
    ...COMMON_USAGE,
    ...WAIT_USAGE,
  ].join('\n'),
  options: {
    ...COMMON_OPTIONS,
    ...WAIT_OPTIONS,
    default: { type: 'boolean', short: 'D' },
    'hide-default': { type: 'boolean' },
    'help-properties': { type: 'boolean' },
    get: { type: 'boolean', short: 'g' },
    set: { type: 'boolean', short: 's' },
  },
  async run({ values, positionals, io, connect }) {
    if (values['help-properties']) {
      const width = Math.max(...Object.keys(PROPERTY_HELP).map((k) => k.length));
      for (const k of Object.keys(PROPERTY_HELP)) writeLine(io.stdout, `${k.padEnd(width)}  ${PROPERTY_HELP[k]}`);
      return 0;
    }
    expectPositionals(positionals, 1, values.default ? 2 : 3, 'QUBE [PROP [VALUE]]');
    const [name, typed, value] = positionals;
    // Checked before anything is asked of qnetd.
    const prop = typed === undefined ? undefined : propertyName(typed);
    if (prop !== undefined && value !== undefined) settableProperty(prop);
    const vm = await (await connect()).domains.get(name);
    if (prop === undefined) {
      const info = await vm.prefs();
      if (values.json) printJson(io, info);
      else writeLine(io.stdout, prefsLines(info, values['hide-default'] === true));
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
      return reportPushes(await vm.resetProperty(prop), io, values, { qube: name, property: prop, reset: true });
    }
    const setting = settableProperty(prop);
    const next = propertyValue(setting, value!);
    return reportPushes(await vm.setProperty(setting, next), io, values, { qube: name, property: prop, value: next });
  },
});

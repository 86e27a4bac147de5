import { UsageError, type CliIo } from '../../../shared/cli/cli';
import { QUBE_LABELS } from '../../../services/admin/admin-schemas';
import type { Qubes } from '../../sdk/qubes';
import { QUBE_CLASSES, type QubeClass } from '../../inventory/qube';
import {
  COMMON_OPTIONS,
  COMMON_USAGE,
  expectPositionals,
  printJson,
  qnetCommand,
  reportPushes,
  reportQnetError,
  waitTimeoutMs,
  type ParsedValues,
  WAIT_OPTIONS,
  WAIT_USAGE,
} from './cli-kit';
import { netvmArgument, propertyAssignment } from './property-arguments';

function integer(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-9]{1,5}$/.test(value))
    throw new UsageError(`${flag} takes a number, got ${JSON.stringify(value.slice(0, 16))}`);
  return Number(value);
}

export const runCreate = qnetCommand({
  usage: [
    'usage: qnet create NAME [--class CLASS] [-l LABEL] [--property NAME=VALUE]... [--netvm NETVM|none] [--provides-network]',
    '                        [--qid N] [--dispid N]',
    '',
    "The embedded store's qvm-create: the new qube is halted; its netvm defaults to none.",
    '  -C, --class CLASS    AppVM (default), DispVM, TemplateVM or StandaloneVM',
    "  -l, --label LABEL    one of Qubes' labels (red, orange, yellow, green, gray, blue, purple, black);",
    '                       kept, and shown by qnet prefs NAME label and qnet ls',
    '  --property, --prop NAME=VALUE   set a property (netvm, provides_network, ip, ip6) as the qube is created',
    '  --standalone, --disp   shortcuts for --class StandaloneVM, --class DispVM',
    '  --qid N, --dispid N  ids (default: the lowest free); a DispVM is addressed by its dispid',
    "  qvm-create's -P POOL and -p/--pool VOLUME=POOL choose storage pools: qnet keeps no storage, so both are refused",
    ...COMMON_USAGE,
  ].join('\n'),
  options: {
    ...COMMON_OPTIONS,
    ...WAIT_OPTIONS,
    class: { type: 'string', short: 'C' },
    label: { type: 'string', short: 'l' },
    // qvm-create's --property and --prop; its -P is a storage pool, which qnet has none of.
    property: { type: 'string', multiple: true },
    // qvm-create's storage pools: -P POOL for every volume, -p/--pool VOLUME=POOL for one. Parsed only to refuse.
    'one-pool': { type: 'string', short: 'P', multiple: true },
    pool: { type: 'string', short: 'p', multiple: true },
    prop: { type: 'string', multiple: true },
    standalone: { type: 'boolean' },
    disp: { type: 'boolean' },
    netvm: { type: 'string' },
    'provides-network': { type: 'boolean' },
    qid: { type: 'string' },
    dispid: { type: 'string' },
  },
  async run({ values, positionals, io, connect }) {
    if (values['one-pool'] !== undefined || values.pool !== undefined) {
      const flag = values['one-pool'] !== undefined ? '-P' : '-p/--pool';
      throw new UsageError(
        `${flag} chooses qvm-create's storage pool; qnet keeps no storage (properties: --property NAME=VALUE)`,
      );
    }
    expectPositionals(positionals, 1, 1, 'NAME');
    if ([values.class !== undefined, values.standalone, values.disp].filter(Boolean).length > 1) {
      throw new UsageError('give one of --class, --standalone, --disp');
    }
    const klass = values.standalone ? 'StandaloneVM' : values.disp ? 'DispVM' : (values.class ?? 'AppVM');
    if (!QUBE_CLASSES.includes(klass as QubeClass)) {
      throw new UsageError(`--class must be one of ${QUBE_CLASSES.join(', ')}`);
    }
    if (values.label !== undefined && !(QUBE_LABELS as readonly string[]).includes(values.label)) {
      throw new UsageError(`--label must be one of ${QUBE_LABELS.join(', ')}`);
    }
    // Every -P is checked before the qube exists, so a typo creates nothing.
    const assigned = new Map(
      [...(values.property ?? []), ...(values.prop ?? [])].map(propertyAssignment).map((a) => [a.prop, a.value]),
    );
    const qid = integer(values.qid, '--qid');
    const dispid = integer(values.dispid, '--dispid');
    const netvm = assigned.has('netvm')
      ? (assigned.get('netvm') as string | null)
      : values.netvm === undefined
        ? null
        : netvmArgument(values.netvm);
    const providesNetwork = assigned.has('provides_network')
      ? assigned.get('provides_network') === true
      : values['provides-network'] === true;
    const app = await connect();
    const vm = await app.domains.create(positionals[0], {
      klass: klass as QubeClass,
      netvm,
      providesNetwork,
      ...(values.label !== undefined ? { label: values.label } : {}),
      ...(qid !== undefined ? { qid } : {}),
      ...(dispid !== undefined ? { dispid } : {}),
    });
    // A halted qube: setting its addresses pushes nothing to wait for.
    for (const prop of ['ip', 'ip6'] as const) {
      if (assigned.has(prop)) await vm.setProperty(prop, assigned.get(prop)!);
    }
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

/**
 * Which qubes a power command acts on: the names typed, or with --all every
 * qube (dom0 is not in the store) but the --exclude ones, ordered so a netvm
 * starts before its clients and stops after them.
 */
async function powerTargets(
  app: Qubes,
  verb: 'start' | 'shutdown',
  values: { all?: boolean; exclude?: string[] },
  positionals: string[],
): Promise<string[]> {
  if (!values.all) return positionals;
  const qubes = await app.domains.list();
  const byName = new Map(qubes.map((q) => [q.name, q]));
  const depth = (name: string, seen = new Set<string>()): number => {
    const netvm = byName.get(name)?.netvm;
    if (!netvm || seen.has(netvm)) return 0;
    seen.add(netvm);
    return 1 + depth(netvm, seen);
  };
  const excluded = new Set(values.exclude ?? []);
  const wantedPower = verb === 'start' ? 'halted' : 'running';
  return qubes
    .filter((q) => !excluded.has(q.name) && q.power === wantedPower)
    .map((q) => ({ name: q.name, depth: depth(q.name) }))
    .sort((a, b) => (verb === 'start' ? a.depth - b.depth : b.depth - a.depth))
    .map((q) => q.name);
}

function powerCommand(verb: 'start' | 'shutdown') {
  return qnetCommand({
    usage: [
      `usage: qnet ${verb} [--all [--exclude NAME]...] [--wait | --no-wait] NAME...`,
      '',
      verb === 'start'
        ? 'Records that each qube runs (its vif exists), as qvm-start would; its provider learns of it and it gets its documents.'
        : 'Records that each qube stopped; its provider forgets its vif. Nothing is pushed to the qube itself.',
      verb === 'start'
        ? '  --all           every halted qube, netvms before their clients'
        : '  --all           every running qube, clients before their netvms',
      '  --exclude NAME  with --all: leave NAME alone',
      '  --wait          wait for the resulting pushes (the default; as qvm-shutdown --wait)',
      ...(verb === 'shutdown'
        ? ['  --force         also when running qubes are connected to it (they lose their network)']
        : []),
      ...COMMON_USAGE,
      ...WAIT_USAGE,
    ].join('\n'),
    options: {
      ...COMMON_OPTIONS,
      ...WAIT_OPTIONS,
      all: { type: 'boolean' },
      exclude: { type: 'string', multiple: true },
      wait: { type: 'boolean' },
      ...(verb === 'shutdown' ? FORCE_OPTION : {}),
    },
    async run({ values, positionals, io, connect }) {
      if (values.all && positionals.length) throw new UsageError('give NAME... or --all, not both');
      if (!values.all && values.exclude) throw new UsageError('--exclude goes with --all');
      if (!values.all && positionals.length === 0) throw new UsageError('expected NAME... or --all');
      if (values.wait && values['no-wait']) throw new UsageError('--wait and --no-wait contradict each other');
      waitTimeoutMs(values);
      const app = await connect();
      const names = await powerTargets(app, verb, values, positionals);
      // Every name is resolved before any qube changes: a typo changes nothing.
      const vms = [];
      for (const name of names) vms.push(await app.domains.get(name));
      // As qvm-start and qvm-shutdown: go on past a failing qube, exit non-zero at the end.
      let code = 0;
      for (const vm of vms) {
        let result: number;
        try {
          result = await powerOne(vm, verb, io, values);
        } catch (err) {
          result = reportQnetError(io, err);
        }
        if (code === 0) code = result;
      }
      return code;
    },
  });
}

/** One qube through the existing single-qube path: change its power, then report its pushes. */
async function powerOne(
  vm: Awaited<ReturnType<Qubes['domains']['get']>>,
  verb: 'start' | 'shutdown',
  io: CliIo,
  values: ParsedValues,
): Promise<number> {
  const force = values.force === true;
  return reportPushes(verb === 'start' ? await vm.start() : await vm.shutdown({ force }), io, values, {
    qube: vm.name,
    power: verb === 'start' ? 'running' : 'halted',
  });
}
export const runStart = powerCommand('start');
export const runShutdown = powerCommand('shutdown');

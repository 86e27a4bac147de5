import { writeLine } from '../../../shared/cli/cli';
import { NotFoundError, quote } from '../../../shared/errors/qnet-error';
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
import { formatTable } from './text-table';

export const run = qnetCommand({
  usage: [
    'usage: qnet features QUBE [FEATURE [VALUE]] | qnet features QUBE FEATURE -D',
    '',
    'Lists features, shows one, sets one, or deletes one (as qvm-features). ipv6 takes effect live.',
    '  -D, --unset, --default, --delete   delete FEATURE (the flag may stand anywhere)',
    ...COMMON_USAGE,
    ...WAIT_USAGE,
  ].join('\n'),
  options: {
    ...COMMON_OPTIONS,
    ...WAIT_OPTIONS,
    // qvm-features' four spellings of one store_true flag.
    delete: { type: 'boolean', short: 'D' },
    unset: { type: 'boolean' },
    default: { type: 'boolean' },
  },
  async run({ values, positionals, io, connect }) {
    const deleting = values.delete === true || values.unset === true || values.default === true;
    if (deleting) expectPositionals(positionals, 2, 2, 'QUBE FEATURE with -D');
    else expectPositionals(positionals, 1, 3, 'QUBE [FEATURE [VALUE]]');
    const [name, feature, value] = positionals;
    const vm = await (await connect()).domains.get(name);
    if (deleting) {
      return reportPushes(await vm.features.delete(feature), io, values, { qube: name, deleted: feature });
    }
    if (feature === undefined) {
      const all = await vm.features.all();
      if (values.json) printJson(io, all);
      else {
        const rows = Object.keys(all)
          .sort()
          .map((k) => [k, all[k]]);
        if (rows.length) writeLine(io.stdout, formatTable(['', ''], rows).split('\n').slice(1).join('\n'));
      }
      return 0;
    }
    if (value === undefined) {
      const v = await vm.features.get(feature);
      if (v === undefined) throw new NotFoundError(`feature ${quote(feature, 32)} is not set on ${quote(name, 32)}`);
      if (values.json) printJson(io, v);
      else writeLine(io.stdout, v);
      return 0;
    }
    return reportPushes(await vm.features.set(feature, value), io, values, { qube: name, feature, value });
  },
});

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
    'usage: qnet features QUBE [NAME [VALUE]] | qnet features QUBE --delete NAME',
    '',
    'Lists features, shows one, sets one, or deletes one (as qvm-features). ipv6 takes effect live.',
    '  -D, --delete NAME  delete the feature',
    ...COMMON_USAGE,
    ...WAIT_USAGE,
  ].join('\n'),
  options: { ...COMMON_OPTIONS, ...WAIT_OPTIONS, delete: { type: 'string', short: 'D' } },
  async run({ values, positionals, io, connect }) {
    const deleting = values.delete;
    expectPositionals(positionals, 1, deleting !== undefined ? 1 : 3, 'QUBE [NAME [VALUE]]');
    const [name, feature, value] = positionals;
    const vm = await (await connect()).domains.get(name);
    if (deleting !== undefined) {
      return reportPushes(await vm.features.delete(deleting), io, values, { qube: name, deleted: deleting });
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

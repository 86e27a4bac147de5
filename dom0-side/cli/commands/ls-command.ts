import { writeLine } from '../../../shared/cli/cli';
import { NotFoundError, quote } from '../../../shared/errors/qnet-error';
import type { QubeInfo } from '../../../services/admin/admin-schemas';
import { COMMON_OPTIONS, COMMON_USAGE, printJson, qnetCommand } from './cli-kit';
import { cellText, formatTable } from './text-table';

/** One row as qvm-ls sees a qube; dom0 is not in qnetd's store but qvm-ls always lists it. */
interface LsRow {
  readonly name: string;
  readonly state: 'Running' | 'Halted';
  readonly klass: string;
  readonly label: string | null;
  readonly netvm: string | null;
  readonly ip: string | null;
  readonly gateway: string | null;
}

const DOM0: LsRow = {
  name: 'dom0',
  state: 'Running',
  klass: 'AdminVM',
  label: 'black',
  netvm: null,
  ip: null,
  gateway: null,
};

const rowOf = (q: QubeInfo): LsRow => ({
  name: q.name,
  state: q.power === 'running' ? 'Running' : 'Halted',
  klass: q.klass,
  label: q.label ?? null,
  netvm: q.netvm,
  ip: q.ip,
  // qvm-ls's GATEWAY is `netvm.gateway`: what the netvm offers, i.e. this qube's visible_gateway.
  gateway: q.visible_gateway,
});

/**
 * qvm-ls's columns. LABEL: the label create -l gave (dom0's is black, as in Qubes);
 * `-` when none. TEMPLATE: qnet keeps none (it manages networking only), so it
 * reads `-`, as qvm-ls prints an absent value. IPBACK: qvm-ls's
 * network format names a property no Qubes 4 qube has, so qvm-ls prints `-` there too.
 */
const COLUMNS = {
  NAME: (r: LsRow) => r.name,
  STATE: (r: LsRow) => r.state,
  CLASS: (r: LsRow) => r.klass,
  LABEL: (r: LsRow) => cellText(r.label),
  TEMPLATE: () => '',
  NETVM: (r: LsRow) => cellText(r.netvm),
  IP: (r: LsRow) => cellText(r.ip),
  IPBACK: () => '',
  GATEWAY: (r: LsRow) => cellText(r.gateway),
} as const;
type Column = keyof typeof COLUMNS;

/** qvm-ls --format simple (its default) and --format network (-n). */
const SIMPLE: readonly Column[] = ['NAME', 'STATE', 'CLASS', 'LABEL', 'TEMPLATE', 'NETVM'];
const NETWORK: readonly Column[] = ['NAME', 'STATE', 'NETVM', 'IP', 'IPBACK', 'GATEWAY'];

export const run = qnetCommand({
  usage: [
    'usage: qnet ls [-n] [--raw-list | --raw-data] [--running] [--halted] [VMNAME...]',
    '',
    "Every qube (dom0 too), or the VMNAMEs, in qvm-ls' columns: NAME STATE CLASS LABEL TEMPLATE NETVM.",
    'LABEL is the label create -l gave (- when none); TEMPLATE is always - (qnet keeps none).',
    "  -n, --network   NAME STATE NETVM IP IPBACK GATEWAY (IPBACK is - as in qvm-ls; GATEWAY is the netvm's)",
    '  --raw-list      names only, one per line',
    '  --raw-data      the columns separated by |, no header',
    '  --running, --halted   only qubes in that state (both: either)',
    ...COMMON_USAGE,
  ].join('\n'),
  options: {
    ...COMMON_OPTIONS,
    network: { type: 'boolean', short: 'n' },
    'raw-list': { type: 'boolean' },
    'raw-data': { type: 'boolean' },
    running: { type: 'boolean' },
    halted: { type: 'boolean' },
  },
  async run({ values, positionals, io, connect }) {
    const qubes = await (await connect()).domains.list();
    const known = new Set(['dom0', ...qubes.map((q) => q.name)]);
    const missing = positionals.find((n) => !known.has(n));
    if (missing !== undefined) throw new NotFoundError(`no such qube ${quote(missing, 32)}`);
    const wanted = (name: string) => positionals.length === 0 || positionals.includes(name);
    const states = [values.running ? 'Running' : undefined, values.halted ? 'Halted' : undefined].filter(Boolean);
    const rows = [DOM0, ...qubes.map(rowOf)]
      .filter((r) => wanted(r.name) && (states.length === 0 || states.includes(r.state)))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (values.json) {
      const names = new Set(rows.map((r) => r.name));
      printJson(
        io,
        qubes.filter((q) => names.has(q.name)),
      );
      return 0;
    }
    if (values['raw-list']) {
      for (const r of rows) writeLine(io.stdout, r.name);
      return 0;
    }
    const columns = values.network ? NETWORK : SIMPLE;
    const cells = rows.map((r) => columns.map((c) => COLUMNS[c](r) || '-'));
    if (values['raw-data']) for (const row of cells) writeLine(io.stdout, row.join('|'));
    else writeLine(io.stdout, formatTable(columns, cells));
    return 0;
  },
});

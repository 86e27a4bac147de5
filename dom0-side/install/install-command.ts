import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DOM0_SERVICES } from '../../services/index';
import { parseCli, UsageError, writeLine, type CliIo } from '../../shared/cli/cli';
import { DEFAULT_RUN_DIR, DEFAULT_STATE_DIR } from '../daemon/daemon-config';
import { describeInstallEntry, managedDirectoryName, planDom0Install, RUNTIME_BASE, STATE_BASE } from './install-plan';
import { layInstallEntry } from '../../shared/install/install-entry';

export const INSTALL_USAGE = `usage: qnetd install --root DIR [--qubesd] [--qnetd-bin PATH] [--state-dir DIR] [--run-dir DIR]
                     [--packaging-dir DIR] [--policy-file PATH] [--dry-run]

Lays qnetd's dom0 files into DIR: the systemd unit qnetd.service (enabled;
with --qubesd it reads the inventory from qubesd and starts after it), the
qrexec entries /etc/qubes-rpc/SERVICE as symlinks to RUN_DIR/qrexec.sock
(socket form, Qubes 4.1+), and the policy /etc/qubes/policy.d/50-qnet.policy.
--state-dir (default ${DEFAULT_STATE_DIR}) must be under /var/lib and
--run-dir (default ${DEFAULT_RUN_DIR}) under /run: systemd creates them.
--dry-run lists the files without writing.`;

/** dist/dom0-side/install → the package root, where dom0-side/packaging and policy/ ship. */
const PACKAGE_ROOT = join(__dirname, '..', '..', '..');
const DEFAULT_PACKAGING_DIR = join(PACKAGE_ROOT, 'dom0-side', 'packaging');
const DEFAULT_POLICY_FILE = join(PACKAGE_ROOT, 'policy', 'policy.d', '50-qnet.policy');

async function readTemplates(dir: string): Promise<Map<string, string>> {
  const names = await readdir(dir);
  return new Map(await Promise.all(names.map(async (n) => [n, await readFile(join(dir, n), 'utf8')] as const)));
}

export async function runDom0InstallCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCli(argv, {
    root: { type: 'string' },
    qubesd: { type: 'boolean' },
    'qnetd-bin': { type: 'string' },
    'state-dir': { type: 'string' },
    'run-dir': { type: 'string' },
    'packaging-dir': { type: 'string' },
    'policy-file': { type: 'string' },
    'dry-run': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    writeLine(io.stdout, INSTALL_USAGE);
    return 0;
  }
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0].slice(0, 32))}`);
  if (!values.root) throw new UsageError('--root DIR is required');
  const stateDir = values['state-dir'] ?? DEFAULT_STATE_DIR;
  const runDir = values['run-dir'] ?? DEFAULT_RUN_DIR;
  for (const [flag, base, dir] of [
    ['--state-dir', STATE_BASE, stateDir],
    ['--run-dir', RUNTIME_BASE, runDir],
  ] as const) {
    if (managedDirectoryName(base, dir) === undefined) throw new UsageError(`${flag} must be under ${base}/`);
  }
  const entries = planDom0Install({
    qnetdBin: values['qnetd-bin'] ?? '/usr/bin/qnetd',
    stateDir,
    runDir,
    qubesd: values.qubesd ?? false,
    services: [...DOM0_SERVICES.keys()],
    templates: await readTemplates(values['packaging-dir'] ?? DEFAULT_PACKAGING_DIR),
    policyFile: resolve(values['policy-file'] ?? DEFAULT_POLICY_FILE),
  });
  const target = resolve(values.root);
  for (const entry of entries) {
    if (!values['dry-run']) await layInstallEntry(target, entry);
    writeLine(io.stdout, describeInstallEntry(entry));
  }
  return 0;
}

import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AGENT_SERVICES } from '../../services/index';
import { parseCli, writeLine, UsageError, type CliIo } from '../../shared/cli/cli';
import { describeInstallEntry, layInstallEntry } from '../../shared/install/install-entry';
import { planInstall } from '../install/install-plan';
import { DEFAULT_AGENT_BLOB } from '../snapshot/agent-blob-path';
import { PATH_FLAGS, pathOverrides, type AgentRoot } from './agent-root';

const HELP = `usage: qnet-agent install --root DIR [--agent-bin PATH] [--agent-blob PATH] [--packaging-dir DIR] [--dry-run]

Lays the agent's system files into DIR: the systemd units (init before
network.target, the socket-form agent), the tmpfiles.d entry that links
/run/qubes-rpc/SERVICE to the agent socket, the executable fallbacks in
/etc/qubes-rpc (which start from the agent's V8 snapshot, --agent-blob,
default the build's dist/qnet-agent.blob, when it exists), the
/etc/qubes/rpc-config files that make qrexec run the root services as root,
and the NetworkManager dispatcher hook. --dry-run lists them.`;

/** dist/vm-side/commands → the source tree's vm-side/packaging, which ships with the package. */
const DEFAULT_PACKAGING_DIR = join(__dirname, '..', '..', '..', 'vm-side', 'packaging');

async function readTemplates(dir: string): Promise<Map<string, string>> {
  const names = await readdir(dir);
  return new Map(await Promise.all(names.map(async (n) => [n, await readFile(join(dir, n), 'utf8')] as const)));
}

export async function runInstallCommand(argv: string[], io: CliIo, root: AgentRoot): Promise<number> {
  const { values, positionals } = parseCli(argv, {
    ...PATH_FLAGS,
    root: { type: 'string' },
    'agent-bin': { type: 'string' },
    'agent-blob': { type: 'string' },
    'packaging-dir': { type: 'string' },
    'dry-run': { type: 'boolean' },
  });
  if (values.help) {
    writeLine(io.stdout, HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  if (!values.root) throw new UsageError('--root DIR is required');
  const config = root.config(io.env, pathOverrides(values));
  const blob = values['agent-blob'] ?? DEFAULT_AGENT_BLOB;
  const entries = planInstall({
    agentBin: values['agent-bin'] ?? '/usr/bin/qnet-agent',
    agentBlob: existsSync(blob) ? resolve(blob) : undefined,
    stateDir: config.stateDir,
    runDir: config.runDir,
    services: [...AGENT_SERVICES.values()],
    templates: await readTemplates(values['packaging-dir'] ?? DEFAULT_PACKAGING_DIR),
  });
  const target = resolve(values.root);
  for (const entry of entries) {
    if (!values['dry-run']) await layInstallEntry(target, entry);
    writeLine(io.stdout, describeInstallEntry(entry));
  }
  return 0;
}

import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  rmdirSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { bundleEntry, INSTALLED_TREE } from './bundle';
import { PackageBuildError } from './package-build-error';
import { cleanEnv, fillTemplate, listTree, PACKAGING_DIR, readText, runTool, writeFileAt } from './tools';
import { DEFAULT_STATE_DIR as DOM0_STATE_DIR } from '../../dom0-side/daemon/daemon-config';
import { agentConfigFromEnv, agentSocketPath } from '../../vm-side/config/agent-config';

/** The paths the units use: the defaults, never this shell's QNET_* overrides. */
export const AGENT_DEFAULTS = agentConfigFromEnv({});

/** The repository checkout, built (`npm run build`): dist/ beside the templates and the policy. */
export interface SourceTree {
  readonly root: string;
}

/** Paths inside a staged root where the package differs from `install --root`. */
export const PACKAGE_FILES = {
  agentPreset: '/usr/lib/systemd/system-preset/75-qnet-agent.preset',
  agentFirewallDropIn: '/usr/lib/systemd/system/qubes-firewall.service.d/50-qnet.conf',
  /** Where the agent looks for the template's firewall scripts first (upstream's package makes it too). */
  agentHooksDir: '/etc/qubes/qubes-firewall.d',
  agentMaint: `${INSTALLED_TREE}/qnet-agent-maint`,
  dom0Preset: '/usr/lib/systemd/system-preset/75-qnet-dom0.preset',
  dom0Maint: `${INSTALLED_TREE}/qnet-dom0-maint`,
  sdkModule: '/usr/lib/node_modules/qnet',
  sdkTarballDir: '/usr/share/qnet',
} as const;

/** A maintainer script with the shared helpers inlined (a script cannot source a file its package may have removed). */
export function maintainerScript(name: 'qnet-agent-maint' | 'qnet-dom0-maint'): string {
  const common = readText(join(PACKAGING_DIR, 'scripts', 'qnet-maint-common.sh')).trimEnd();
  const stateDir = name === 'qnet-agent-maint' ? AGENT_DEFAULTS.stateDir : DOM0_STATE_DIR;
  return fillTemplate(readText(join(PACKAGING_DIR, 'scripts', name)), { COMMON: common, STATE_DIR: stateDir });
}

/** The cleanup after qnet-agent's files are gone, for the deb's postrm and the rpm's %postun. */
export function agentCleanupScript(): string {
  return fillTemplate(readText(join(PACKAGING_DIR, 'scripts', 'qnet-agent-cleanup.sh')), {
    AGENT_SOCKET: agentSocketPath(AGENT_DEFAULTS),
  });
}

function bundleTo(tree: SourceTree, stage: string, distPath: string, format: 'cjs' | 'iife', mode: number) {
  const outfile = join(stage, INSTALLED_TREE, 'dist', distPath);
  return bundleEntry(tree.root, { entry: join(tree.root, 'dist', distPath), outfile, format }).then(() =>
    chmodSync(outfile, mode),
  );
}

function copyDir(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    copyFileSync(join(from, name), join(to, name));
    chmodSync(join(to, name), 0o644);
  }
}

function linkBin(stage: string, name: string, distPath: string): void {
  const path = join(stage, 'usr', 'bin', name);
  mkdirSync(dirname(path), { recursive: true });
  symlinkSync(`../lib/qnet/dist/${distPath}`, path);
}

/**
 * `install --root` enables units with /etc/systemd/system/*.wants links, as
 * an image build needs; a package enables them with presets instead (the user's
 * own choice wins), so the links are made by `systemctl preset` at install.
 */
function dropEnableLinks(stage: string): void {
  const etcSystemd = join(stage, 'etc', 'systemd', 'system');
  if (!existsSync(etcSystemd)) return;
  for (const e of listTree(etcSystemd)) {
    if (e.kind === 'symlink' && dirname(e.path).endsWith('.wants')) rmSync(join(etcSystemd, e.path));
  }
  for (const dir of [...listTree(etcSystemd).filter((e) => e.kind === 'dir')].reverse())
    rmdirSync(join(etcSystemd, dir.path));
  for (const dir of ['etc/systemd/system', 'etc/systemd']) {
    if (readdirSync(join(stage, dir)).length === 0) rmdirSync(join(stage, dir));
  }
}

/** Runs a bundled command's `install --root`: the very plan a user's `install --root` lays. */
function installWithBundle(stage: string, distPath: string, args: readonly string[]): string {
  const bundle = join(stage, INSTALLED_TREE, 'dist', distPath);
  return runTool(process.execPath, [bundle, 'install', '--root', stage, ...args], { env: cleanEnv() });
}

/** The template package's root: bundles, templates, the install plan's files, then the package's own. */
export async function stageAgent(tree: SourceTree, stage: string): Promise<void> {
  await bundleTo(tree, stage, 'vm-side/main.js', 'cjs', 0o755);
  // Built into a snapshot by postinst with the node installed there.
  await bundleTo(tree, stage, 'vm-side/snapshot/snapshot-main.js', 'iife', 0o644);
  const templates = join(stage, INSTALLED_TREE, 'vm-side', 'packaging');
  copyDir(join(tree.root, 'vm-side', 'packaging'), templates);
  linkBin(stage, 'qnet-agent', 'vm-side/main.js');
  installWithBundle(stage, 'vm-side/main.js', ['--agent-bin', '/usr/bin/qnet-agent', '--packaging-dir', templates]);
  // The snapshot is built at install time, for the node installed there; a build-time one would not match it.
  if (existsSync(join(stage, INSTALLED_TREE, 'qnet-agent.blob')))
    throw new PackageBuildError('install --root laid a build-time snapshot into the package');
  dropEnableLinks(stage);
  const files = join(PACKAGING_DIR, 'files', 'agent');
  writeFileAt(join(stage, PACKAGE_FILES.agentPreset), readText(join(files, '75-qnet-agent.preset')), 0o644);
  writeFileAt(join(stage, PACKAGE_FILES.agentFirewallDropIn), readText(join(files, 'qubes-firewall-qnet.conf')), 0o644);
  mkdirSync(join(stage, PACKAGE_FILES.agentHooksDir), { recursive: true });
  writeFileAt(join(stage, PACKAGE_FILES.agentMaint), maintainerScript('qnet-agent-maint'), 0o755);
}

/** dom0's root: qnetd and qnet bundled, their templates and policy, qnetd's install plan, the SDK. */
export async function stageDom0(tree: SourceTree, stage: string, sdk: { dir: string; tarball: string }): Promise<void> {
  await bundleTo(tree, stage, 'dom0-side/daemon/main.js', 'cjs', 0o755);
  await bundleTo(tree, stage, 'dom0-side/cli/main.js', 'cjs', 0o755);
  const templates = join(stage, INSTALLED_TREE, 'dom0-side', 'packaging');
  copyDir(join(tree.root, 'dom0-side', 'packaging'), templates);
  const policy = join(stage, INSTALLED_TREE, 'policy', 'policy.d');
  copyDir(join(tree.root, 'policy', 'policy.d'), policy);
  linkBin(stage, 'qnetd', 'dom0-side/daemon/main.js');
  linkBin(stage, 'qnet', 'dom0-side/cli/main.js');
  // A Qubes dom0 has qubesd: qnetd reads the inventory from it.
  installWithBundle(stage, 'dom0-side/daemon/main.js', [
    '--qubesd',
    '--qnetd-bin',
    '/usr/bin/qnetd',
    '--packaging-dir',
    templates,
    '--policy-file',
    join(policy, '50-qnet.policy'),
  ]);
  dropEnableLinks(stage);
  writeFileAt(
    join(stage, PACKAGE_FILES.dom0Preset),
    readText(join(PACKAGING_DIR, 'files', 'dom0', '75-qnet-dom0.preset')),
    0o644,
  );
  writeFileAt(join(stage, PACKAGE_FILES.dom0Maint), maintainerScript('qnet-dom0-maint'), 0o755);
  cpSync(sdk.dir, join(stage, PACKAGE_FILES.sdkModule), { recursive: true });
  mkdirSync(join(stage, PACKAGE_FILES.sdkTarballDir), { recursive: true });
  copyFileSync(sdk.tarball, join(stage, PACKAGE_FILES.sdkTarballDir, sdk.tarball.split('/').pop() as string));
}

import { describeInstallEntry, type InstallEntry } from '../../shared/install/install-entry';
import { QREXEC_SOCKET_NAME } from '../daemon/daemon-config';

// The agent's entry kinds and their one-line description serve dom0 unchanged.
export { describeInstallEntry, type InstallEntry };

export interface Dom0InstallOptions {
  readonly qnetdBin: string;
  /** Under /var/lib: systemd creates it (StateDirectory=). */
  readonly stateDir: string;
  /** Under /run: systemd creates it (RuntimeDirectory=), and qnetd binds its sockets there. */
  readonly runDir: string;
  /** Read the inventory from qubesd, so start after it. */
  readonly qubesd: boolean;
  /** The services qnetd answers on its qrexec socket: each gets a qrexec entry. */
  readonly services: readonly string[];
  /** Packaging templates by file name (dom0-side/packaging). */
  readonly templates: ReadonlyMap<string, string>;
  /** The shipped policy file (policy/policy.d/50-qnet.policy). */
  readonly policyFile: string;
}

export const UNIT_PATH = '/usr/lib/systemd/system/qnetd.service';
export const DOM0_QREXEC_DIR = '/etc/qubes-rpc';
export const POLICY_PATH = '/etc/qubes/policy.d/50-qnet.policy';

/** Placeholders are `@NAME@`; a line holding only a placeholder whose value is empty is dropped. */
function fill(template: string, values: Readonly<Record<string, string>>): string {
  return template
    .split('\n')
    .filter((line) => !(/^@[A-Z_]+@$/.test(line) && values[line.slice(1, -1)] === ''))
    .map((line) => line.replace(/@([A-Z_]+)@/g, (whole, key: string) => values[key] ?? whole))
    .join('\n');
}

const trimSlash = (dir: string) => dir.replace(/\/+$/, '');

export const STATE_BASE = '/var/lib';
export const RUNTIME_BASE = '/run';

/** systemd takes StateDirectory=/RuntimeDirectory= relative to its base; undefined when dir is not below it. */
export function managedDirectoryName(base: string, dir: string): string | undefined {
  const trimmed = trimSlash(dir);
  const name = trimmed.startsWith(`${base}/`) ? trimmed.slice(base.length + 1) : '';
  return name && !name.split('/').some((part) => part === '' || part === '.' || part === '..') ? name : undefined;
}

function directoryUnder(base: string, dir: string): string {
  const name = managedDirectoryName(base, dir);
  if (name === undefined) throw new Error(`${dir} is not under ${base}: systemd cannot manage it`);
  return name;
}

/**
 * Every file of qnetd's installation in dom0. The qrexec entries are symlinks
 * to qnetd's qrexec socket (the socket form of Qubes 4.1+): one process serves
 * every boot-time pull, and no admin service is reachable through them, since
 * that socket serves only the pull and the ping.
 */
export function planDom0Install(opts: Dom0InstallOptions): InstallEntry[] {
  const template = opts.templates.get('qnetd.service');
  if (template === undefined) throw new Error('packaging template qnetd.service is missing');
  const stateDir = trimSlash(opts.stateDir);
  const runDir = trimSlash(opts.runDir);
  const unit = fill(template, {
    QNETD_BIN: opts.qnetdBin,
    STATE_DIR: stateDir,
    RUN_DIR: runDir,
    STATE_DIRECTORY: directoryUnder(STATE_BASE, stateDir),
    RUNTIME_DIRECTORY: directoryUnder(RUNTIME_BASE, runDir),
    QUBESD_FLAG: opts.qubesd ? ' --qubesd' : '',
    ORDERING: opts.qubesd ? 'After=qubesd.service' : '',
  });
  return [
    { kind: 'file', path: UNIT_PATH, content: unit, mode: 0o644 },
    ...opts.services.map((svc): InstallEntry => ({
      kind: 'symlink',
      path: `${DOM0_QREXEC_DIR}/${svc}`,
      target: `${runDir}/${QREXEC_SOCKET_NAME}`,
    })),
    { kind: 'copy', path: POLICY_PATH, from: opts.policyFile, mode: 0o644 },
    // Enabled the way `systemctl enable` would, so an image built with --root boots with it.
    { kind: 'symlink', path: '/etc/systemd/system/multi-user.target.wants/qnetd.service', target: UNIT_PATH },
  ];
}

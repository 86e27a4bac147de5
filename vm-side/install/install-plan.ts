import { DEFAULT_QREXEC_USER, type AnyService } from '../../shared/contract/define-service';
import type { InstallEntry } from '../../shared/install/install-entry';
import { AGENT_SOCKET_NAME } from '../config/agent-config';

export { describeInstallEntry, type InstallEntry } from '../../shared/install/install-entry';

export interface InstallOptions {
  readonly agentBin: string;
  /** The built snapshot to install, when there is one (dist/qnet-agent.blob). */
  readonly agentBlob?: string;
  readonly stateDir: string;
  readonly runDir: string;
  /** The services the agent serves: each gets a qrexec entry, and those that run as root an rpc-config. */
  readonly services: readonly Pick<AnyService, 'name' | 'runAs'>[];
  /** Packaging templates by file name (vm-side/packaging). */
  readonly templates: ReadonlyMap<string, string>;
}

export const QREXEC_RUN_DIR = '/run/qubes-rpc';
export const QREXEC_ETC_DIR = '/etc/qubes-rpc';
export const AGENT_BLOB_PATH = '/usr/lib/qnet/qnet-agent.blob';
/** Where qrexec-agent reads a service's settings (upstream's QUBES_RPC_CONFIG_PATH). */
export const QREXEC_RPC_CONFIG_DIR = '/etc/qubes/rpc-config';

/**
 * A service that must run as root says so twice, as upstream's root services do: dom0 calls it as
 * `root:` (the transport takes the definition's runAs), and this file makes qrexec-agent run it as root
 * even for a caller that asks for `DEFAULT` (a VM-to-VM call, or a `DEFAULT:` by hand), which would
 * otherwise run it as `user` and fail on the first sysctl. Same format as upstream's `*.config` files.
 */
export function rpcConfigText(runAs: string): string {
  return `# qnet: this service changes the qube's network, which only root may do.\nforce-user='${runAs}'\n`;
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/@([A-Z_]+)@/g, (whole, key: string) => values[key] ?? whole);
}

/**
 * Every file of the agent's installation. qrexec looks a service up in
 * /run/qubes-rpc, then /usr/local/etc/qubes-rpc, then /etc/qubes-rpc, and a
 * dangling symlink counts as absent; so the socket symlinks go to
 * /run/qubes-rpc (made at each boot by tmpfiles.d) and the executable
 * fallbacks to /etc/qubes-rpc: while the agent is down, calls still work.
 * That needs the socket file gone whenever the agent is (a dead socket is
 * found, refused, and the call fails with 125): the agent removes a stale one
 * at start and a watcher removes it when the agent dies, and the unit removes
 * it after every stop. Not socket activation: why is in qnet-agent.service.
 */
export function planInstall(opts: InstallOptions): InstallEntry[] {
  const socket = `${opts.runDir.replace(/\/$/, '')}/${AGENT_SOCKET_NAME}`;
  const values = {
    AGENT_BIN: opts.agentBin,
    AGENT_BLOB: AGENT_BLOB_PATH,
    STATE_DIR: opts.stateDir,
    RUN_DIR: opts.runDir,
    SOCKET: socket,
  };
  const template = (name: string) => {
    const text = opts.templates.get(name);
    if (text === undefined) throw new Error(`packaging template ${name} is missing`);
    return text;
  };
  const names = opts.services.map((svc) => svc.name);
  const tmpfiles = [
    '# qnet-agent: qrexec finds the agent socket here first; while the agent is down the links dangle',
    '# and qrexec falls back to the executables in /etc/qubes-rpc.',
    `d ${QREXEC_RUN_DIR} 0755 root root -`,
    ...names.map((svc) => `L+ ${QREXEC_RUN_DIR}/${svc} - - - - ${socket}`),
    '',
  ].join('\n');
  return [
    ...['qnet-agent-init.service', 'qnet-agent.service'].map((unit): InstallEntry => ({
      kind: 'file',
      path: `/usr/lib/systemd/system/${unit}`,
      content: fill(template(unit), values),
      mode: 0o644,
    })),
    { kind: 'file', path: '/usr/lib/tmpfiles.d/qnet-agent.conf', content: tmpfiles, mode: 0o644 },
    ...(opts.agentBlob ? [{ kind: 'copy', path: AGENT_BLOB_PATH, from: opts.agentBlob, mode: 0o644 } as const] : []),
    ...names.map((svc): InstallEntry => ({
      kind: 'file',
      path: `${QREXEC_ETC_DIR}/${svc}`,
      content: fill(template('qrexec-service.sh'), { ...values, SERVICE: svc }),
      mode: 0o755,
    })),
    ...opts.services
      .filter((svc) => svc.runAs !== DEFAULT_QREXEC_USER)
      .map((svc): InstallEntry => ({
        kind: 'file',
        path: `${QREXEC_RPC_CONFIG_DIR}/${svc.name}`,
        content: rpcConfigText(svc.runAs),
        mode: 0o644,
      })),
    {
      kind: 'file',
      path: '/etc/NetworkManager/dispatcher.d/30-qnet-dns-update',
      content: fill(template('nm-dispatcher-dns-update.sh'), values),
      mode: 0o755,
    },
    // Enabled the way `systemctl enable` would, so an image built with --root boots with them.
    ...[
      ['network.target.wants', 'qnet-agent-init.service'],
      ['multi-user.target.wants', 'qnet-agent.service'],
    ].map(([wants, unit]): InstallEntry => ({
      kind: 'symlink',
      path: `/etc/systemd/system/${wants}/${unit}`,
      target: `/usr/lib/systemd/system/${unit}`,
    })),
  ];
}

import { join } from 'node:path';
import { token } from '../../shared/di/token';
import { DEFAULT_ANSWER_DEADLINE_MS } from '../apply/answer-deadline';
import { DEFAULT_HOOK_TIMEOUT_MS } from '../firewall-hooks/hook-paths';
import { DEFAULT_DSTHOST_GRACE_MS } from '../firewall/name-cache';

/**
 * Every path and binary the agent touches. Nothing is hard-coded beyond these
 * defaults, so the simulator can run many agents side by side, one per network
 * namespace, each with its own state, sockets and resolv.conf.
 */
export interface AgentConfig {
  /** Applied documents, one file per service (QNET_STATE_DIR). */
  readonly stateDir: string;
  /** The agent's socket lives here (QNET_RUN_DIR). */
  readonly runDir: string;
  /** The resolv.conf the guest role manages (QNET_RESOLV_CONF): /etc is shared between namespaces. */
  readonly resolvConf: string;
  /** Qubes convention: a file listed (whole line) in any file here is left alone. */
  readonly protectedFilesDir: string;
  /** The per-qube list of the same convention, on the private volume (QNET_PER_VM_PROTECTED_FILES_DIR). */
  readonly perVmProtectedFilesDir: string;
  /** One file per Qubes service on in this qube (QNET_QUBES_SERVICE_DIR), as qubes-sysinit makes them. */
  readonly qubesServiceDir: string;
  /** systemd-resolved's client (QNET_RESOLVECTL); '' turns per-link DNS off (the simulator: resolved is machine-wide). */
  readonly resolvectlBinary: string;
  /** Asked whether systemd-resolved is enabled (QNET_SYSTEMCTL); '' means it is not. */
  readonly systemctlBinary: string;
  /** Where a NetworkManager-managed uplink's profile is written (QNET_NM_CONNECTIONS_DIR). */
  readonly nmConnectionsDir: string;
  /** NetworkManager's client (QNET_NMCLI); the uplink is handed to NetworkManager only where it exists. */
  readonly nmcliBinary: string;
  /** Where `ip netns` names namespaces (QNET_NETNS_DIR): upstream's per-vif NAT namespace is looked for here. */
  readonly netnsDir: string;
  /** systemd-resolved's list of real upstream servers, read by `dns-update --from-system`. */
  readonly resolvedConf: string;
  /** /proc/sys/net is per network namespace for the process that opens it. */
  readonly sysctlRoot: string;
  readonly ipBinary: string;
  readonly nftBinary: string;
  readonly conntrackBinary: string;
  /** The qrexec target of the boot-time pull. */
  readonly dom0Target: string;
  readonly initTimeoutMs: number;
  readonly initAttempts: number;
  readonly initRetryDelayMs: number;
  /** A push still applying after this long is answered TIMEOUT_APPLIED_LATER (QNET_ANSWER_DEADLINE_MS). */
  readonly answerDeadlineMs: number;
  /**
   * Prefix of the paths the qubes-firewall customization points live at (/rw/config, /etc/qubes,
   * /run/qubes-service; QNET_HOOKS_ROOT): empty on a qube, one directory per qube in the simulator.
   */
  readonly hooksRoot: string;
  /** One firewall hook script running longer than this is killed with its process group (QNET_HOOK_TIMEOUT_MS). */
  readonly hookTimeoutMs: number;
  /**
   * How long a `dsthost` rule keeps matching an address its name's answer
   * stopped giving (QNET_DSTHOST_GRACE_S, seconds; 0: no grace).
   */
  readonly dsthostGraceMs: number;
  /** How often a sys-net re-reads its own upstream DNS servers while serving (QNET_SYSTEM_DNS_POLL_MS; 0: never). */
  readonly systemDnsPollMs: number;
}
export const AgentConfig = token<AgentConfig>('AgentConfig');

export const AGENT_SOCKET_NAME = 'agent.sock';

export function agentSocketPath(config: Pick<AgentConfig, 'runDir'>): string {
  return join(config.runDir, AGENT_SOCKET_NAME);
}

const positive = (text: string | undefined, fallback: number) => {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : fallback;
};

const nonNegative = (text: string | undefined, fallback: number) => {
  const n = Number(text);
  return text !== undefined && text.trim() !== '' && Number.isInteger(n) && n >= 0 ? n : fallback;
};

/** Defaults, then the environment, then explicit overrides (command-line flags). */
export function agentConfigFromEnv(env: NodeJS.ProcessEnv, overrides: Partial<AgentConfig> = {}): AgentConfig {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return {
    stateDir: env.QNET_STATE_DIR || '/var/lib/qnet-agent',
    runDir: env.QNET_RUN_DIR || '/run/qnet-agent',
    resolvConf: env.QNET_RESOLV_CONF || '/etc/resolv.conf',
    protectedFilesDir: env.QNET_PROTECTED_FILES_DIR || '/etc/qubes/protected-files.d',
    perVmProtectedFilesDir: env.QNET_PER_VM_PROTECTED_FILES_DIR || '/rw/config/protected-files.d',
    qubesServiceDir: env.QNET_QUBES_SERVICE_DIR || '/run/qubes-service',
    resolvectlBinary: env.QNET_RESOLVECTL ?? 'resolvectl',
    systemctlBinary: env.QNET_SYSTEMCTL ?? 'systemctl',
    nmConnectionsDir: env.QNET_NM_CONNECTIONS_DIR || '/etc/NetworkManager/system-connections',
    nmcliBinary: env.QNET_NMCLI ?? '/usr/bin/nmcli',
    netnsDir: env.QNET_NETNS_DIR || '/run/netns',
    resolvedConf: env.QNET_RESOLVED_CONF || '/run/systemd/resolve/resolv.conf',
    sysctlRoot: env.QNET_SYSCTL_ROOT || '/proc/sys',
    ipBinary: env.QNET_IP || 'ip',
    nftBinary: env.QNET_NFT || 'nft',
    conntrackBinary: env.QNET_CONNTRACK || 'conntrack',
    dom0Target: env.QNET_DOM0_TARGET || '@adminvm',
    initTimeoutMs: positive(env.QNET_INIT_TIMEOUT_MS, 10_000),
    initAttempts: positive(env.QNET_INIT_ATTEMPTS, 5),
    initRetryDelayMs: positive(env.QNET_INIT_RETRY_DELAY_MS, 1_000),
    answerDeadlineMs: positive(env.QNET_ANSWER_DEADLINE_MS, DEFAULT_ANSWER_DEADLINE_MS),
    hooksRoot: env.QNET_HOOKS_ROOT || '',
    hookTimeoutMs: positive(env.QNET_HOOK_TIMEOUT_MS, DEFAULT_HOOK_TIMEOUT_MS),
    dsthostGraceMs: nonNegative(env.QNET_DSTHOST_GRACE_S, DEFAULT_DSTHOST_GRACE_MS / 1000) * 1000,
    systemDnsPollMs: nonNegative(env.QNET_SYSTEM_DNS_POLL_MS, 5_000),
    ...defined,
  };
}

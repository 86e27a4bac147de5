import { join } from 'node:path';
import { parseCli, UsageError } from '../../shared/cli/cli';
import { token } from '../../shared/di/token';

export interface DaemonConfig {
  readonly stateDir: string;
  readonly runDir: string;
  readonly qubesd: boolean;
  readonly qubesdSocket: string;
  /** Push through the simulation router instead of qrexec-client. */
  readonly routerSocket?: string;
  readonly logJson: boolean;
  readonly qrexecClient: string;
}
export const DaemonConfig = token<DaemonConfig>('DaemonConfig');

export const DEFAULT_STATE_DIR = '/var/lib/qnet';
export const DEFAULT_RUN_DIR = '/run/qnet';
export const DEFAULT_QUBESD_SOCKET = '/var/run/qubesd.sock';

export const ADMIN_SOCKET_NAME = 'qnetd.sock';
export const QREXEC_SOCKET_NAME = 'qrexec.sock';
export const STATE_FILE_NAME = 'inventory.json';
export const GENERATION_FILE_NAME = 'generations.json';

export const adminSocketPath = (runDir: string) => join(runDir, ADMIN_SOCKET_NAME);
export const qrexecSocketPath = (runDir: string) => join(runDir, QREXEC_SOCKET_NAME);

/** `qnetd install ...` lays qnetd's dom0 files; any other first argument is the daemon's. */
export const INSTALL_SUBCOMMAND = 'install';

export const DAEMON_USAGE = [
  'usage: qnetd [--state-dir DIR] [--run-dir DIR] [--qubesd [--qubesd-socket PATH]] [--router-socket PATH] [--log-json]',
  '       qnetd install --root DIR [--qubesd] [--dry-run]   (qnetd install --help for details)',
  '',
  '  --state-dir DIR       embedded store and generation counter (QNET_STATE_DIR, default /var/lib/qnet)',
  '  --run-dir DIR         qnetd.sock (admin) and qrexec.sock (boot pull) (QNET_RUN_DIR, default /run/qnet)',
  '  --qubesd              read the inventory from qubesd and follow its events (QNET_QUBESD=1)',
  '  --qubesd-socket PATH  qubesd Admin API socket (QNET_QUBESD_SOCKET, default /var/run/qubesd.sock)',
  '  --router-socket PATH  push through the simulation router (QNET_ROUTER_SOCKET)',
  '  --log-json            one JSON object per log line (QNET_LOG_FORMAT=json)',
].join('\n');

/** Flags win over the environment, the environment over the defaults. */
export function parseDaemonConfig(argv: string[], env: NodeJS.ProcessEnv): DaemonConfig | 'help' {
  const { values, positionals } = parseCli(argv, {
    'state-dir': { type: 'string' },
    'run-dir': { type: 'string' },
    qubesd: { type: 'boolean' },
    'qubesd-socket': { type: 'string' },
    'router-socket': { type: 'string' },
    'log-json': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return 'help';
  if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0].slice(0, 32))}`);
  const routerSocket = values['router-socket'] ?? (env.QNET_ROUTER_SOCKET || undefined);
  return {
    stateDir: values['state-dir'] ?? (env.QNET_STATE_DIR || DEFAULT_STATE_DIR),
    runDir: values['run-dir'] ?? (env.QNET_RUN_DIR || DEFAULT_RUN_DIR),
    qubesd: values.qubesd ?? env.QNET_QUBESD === '1',
    qubesdSocket: values['qubesd-socket'] ?? (env.QNET_QUBESD_SOCKET || DEFAULT_QUBESD_SOCKET),
    ...(routerSocket ? { routerSocket } : {}),
    logJson: values['log-json'] ?? env.QNET_LOG_FORMAT === 'json',
    qrexecClient: env.QNET_QREXEC_CLIENT || 'qrexec-client',
  };
}

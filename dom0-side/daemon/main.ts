#!/usr/bin/env node
import 'reflect-metadata';
import { join } from 'node:path';
import { container as rootContainer, Lifecycle, type DependencyContainer } from 'tsyringe';
import { ADMIN_SERVICES } from '../../services/admin/admin-services';
import { DOM0_SERVICES } from '../../services/index';
import { processIo, reportError, UsageError } from '../../shared/cli/cli';
import { untilStopSignal } from '../../shared/runtime/stop-signal';
import { ServiceHandler } from '../../shared/contract/service-handler';
import { exitCodeFor } from '../../shared/errors/codes';
import { QnetError } from '../../shared/errors/qnet-error';
import { createLogger, Logger, logOptionsFromEnv } from '../../shared/logging/logger';
import { ServiceDispatcher } from '../../shared/runtime/dispatcher';
import { PingHandler, ServedServices } from '../../shared/runtime/ping-handler';
import { ONE_SOURCE_ADMISSION_OPTIONS } from '../../shared/runtime/connection-admission';
import { DEFAULT_SOCKET_SERVER_OPTIONS, SocketServer, SocketServerOptions } from '../../shared/runtime/socket-server';
import { DEFAULT_QREXEC_BINARIES, QrexecBinaries } from '../../shared/transport/qrexec-binaries';
import { QrexecClientTransport } from '../../shared/transport/qrexec-client-transport';
import { RouterSocketPath, RouterTransport } from '../../shared/transport/router-transport';
import { ServiceClient } from '../../shared/transport/service-client';
import { Transport } from '../../shared/transport/transport';
import { AdminHandlers } from '../admin/admin-handlers';
import { EventLog } from '../admin/event-log';
import { QnetAdmin } from '../admin/qnet-admin';
import { runDom0InstallCommand } from '../install/install-command';
import { EmbeddedInventoryBackend } from '../inventory/embedded-backend';
import { InventoryBackend } from '../inventory/inventory-backend';
import { FileInventoryStore } from '../inventory/file-inventory-store';
import { DEFAULT_STATE_MAX_BYTES, InventoryStore, InventoryStoreConfig } from '../inventory/inventory-store';
import {
  DEFAULT_QUBESD_CONFIG,
  QubesdClient,
  QubesdConfig,
  QubesdInventoryBackend,
  SocketQubesdClient,
} from '../qubesd/index';
import {
  FileGenerationCeilingStore,
  GenerationCeilingStore,
  GenerationCounter,
  GenerationStatePath,
  GenerationWitnessPaths,
} from '../reconciler/generation-counter';
import { Reconciler } from '../reconciler/reconciler';
import { DEFAULT_RECONCILER_OPTIONS, ReconcilerOptions } from '../reconciler/reconciler-options';
import { Clock, systemClock } from '../reconciler/timers';
import {
  DAEMON_USAGE,
  DaemonConfig,
  GENERATION_FILE_NAME,
  INSTALL_SUBCOMMAND,
  parseDaemonConfig,
  STATE_FILE_NAME,
} from './daemon-config';
import { NetConfigPullHandler } from './net-config-pull-handler';
import { AdminSocketServer, Qnetd, QrexecSocketServer } from './qnetd';

/** What a test composition or the simulator may replace. */
export interface QnetdSeams {
  readonly transport?: Transport;
  readonly logger?: Logger;
  readonly reconciler?: Partial<ReconcilerOptions>;
  readonly clock?: Clock;
}

const singleton = { lifecycle: Lifecycle.Singleton } as const;

/** The admin socket waits on pushes (qnet.admin.Wait up to 10 minutes): its deadline is longer. */
const ADMIN_CALL_TIMEOUT_MS = 660_000;

/** One socket's services in a scope of their own, so the qrexec socket can never reach an admin service. */
function socketScope(
  parent: DependencyContainer,
  handlers: (scope: DependencyContainer) => void,
  served: readonly string[],
  options: Partial<SocketServerOptions>,
): DependencyContainer {
  const scope = parent.createChildContainer();
  handlers(scope);
  scope.register(ServedServices, { useValue: served });
  scope.register(ServiceHandler, { useClass: PingHandler });
  scope.register(SocketServerOptions, { useValue: { ...DEFAULT_SOCKET_SERVER_OPTIONS, ...options } });
  scope.register(ServiceDispatcher, { useClass: ServiceDispatcher }, singleton);
  scope.register(SocketServer, { useClass: SocketServer }, singleton);
  return scope;
}

/** The one place that names qnetd's concrete classes. */
export function buildQnetdContainer(config: DaemonConfig, env: NodeJS.ProcessEnv, seams: QnetdSeams = {}) {
  const c = rootContainer.createChildContainer();
  const logOptions = logOptionsFromEnv(env, 'qnetd');
  c.register(DaemonConfig, { useValue: config });
  c.register(Logger, { useValue: seams.logger ?? createLogger({ ...logOptions, json: config.logJson }) });
  c.register(Clock, { useValue: seams.clock ?? systemClock });
  c.register(ReconcilerOptions, { useValue: { ...DEFAULT_RECONCILER_OPTIONS, ...seams.reconciler } });

  if (config.qubesd) {
    c.register(QubesdConfig, { useValue: { ...DEFAULT_QUBESD_CONFIG, socketPath: config.qubesdSocket } });
    c.register(QubesdClient, { useClass: SocketQubesdClient }, singleton);
    c.register(InventoryBackend, { useClass: QubesdInventoryBackend }, singleton);
  } else {
    c.register(InventoryStoreConfig, {
      useValue: { path: join(config.stateDir, STATE_FILE_NAME), maxBytes: DEFAULT_STATE_MAX_BYTES },
    });
    c.register(InventoryStore, { useClass: FileInventoryStore }, singleton);
    c.register(InventoryBackend, { useClass: EmbeddedInventoryBackend }, singleton);
  }
  c.register(GenerationStatePath, { useValue: join(config.stateDir, GENERATION_FILE_NAME) });
  c.register(GenerationWitnessPaths, { useValue: config.qubesd ? [] : [join(config.stateDir, STATE_FILE_NAME)] });
  c.register(GenerationCeilingStore, { useClass: FileGenerationCeilingStore }, singleton);
  c.register(GenerationCounter, { useClass: GenerationCounter }, singleton);

  if (seams.transport) {
    c.register(Transport, { useValue: seams.transport });
  } else if (config.routerSocket) {
    // Simulation: dom0's own socket on the router, which stands in for qrexec-daemon.
    c.register(RouterSocketPath, { useValue: config.routerSocket });
    c.register(Transport, { useClass: RouterTransport }, singleton);
  } else {
    c.register(QrexecBinaries, { useValue: { ...DEFAULT_QREXEC_BINARIES, client: config.qrexecClient } });
    c.register(Transport, { useClass: QrexecClientTransport }, singleton);
  }
  c.register(ServiceClient, { useClass: ServiceClient }, singleton);
  c.register(Reconciler, { useClass: Reconciler }, singleton);
  c.register(EventLog, { useValue: new EventLog() });
  c.register(QnetAdmin, { useClass: QnetAdmin }, singleton);
  c.register(AdminHandlers, { useClass: AdminHandlers }, singleton);
  c.register(NetConfigPullHandler, { useClass: NetConfigPullHandler }, singleton);

  const adminScope = socketScope(
    c,
    (scope) => {
      for (const h of c.resolve(AdminHandlers).handlers) scope.register(ServiceHandler, { useValue: h });
    },
    [...ADMIN_SERVICES.keys(), 'qnet.Ping'].sort(),
    // Every caller of the admin socket is dom0: slow ones are told apart by time only (see ONE_SOURCE_ADMISSION_OPTIONS).
    { mode: 0o600, callTimeoutMs: ADMIN_CALL_TIMEOUT_MS, admission: ONE_SOURCE_ADMISSION_OPTIONS },
  );
  const qrexecScope = socketScope(
    c,
    (scope) => scope.register(ServiceHandler, { useToken: NetConfigPullHandler }),
    [...DOM0_SERVICES.keys()].sort(),
    {},
  );
  c.register(AdminSocketServer, { useValue: adminScope.resolve(SocketServer) });
  c.register(QrexecSocketServer, { useValue: qrexecScope.resolve(SocketServer) });
  c.register(Qnetd, { useClass: Qnetd }, singleton);
  return c;
}

/** Starts qnetd and serves until SIGTERM or SIGINT; resolves with the exit code. */
export async function runQnetd(config: DaemonConfig, env: NodeJS.ProcessEnv, seams: QnetdSeams = {}): Promise<number> {
  const c = buildQnetdContainer(config, env, seams);
  const log = c.resolve(Logger);
  const qnetd = c.resolve(Qnetd);
  try {
    await qnetd.start();
  } catch (err) {
    await qnetd.stop().catch(() => {});
    throw err;
  }
  log.info('ready', { runDir: config.runDir, stateDir: config.stateDir });
  await untilStopSignal(log);
  await qnetd.stop();
  await c.dispose();
  return 0;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv, seams: QnetdSeams = {}): Promise<number> {
  if (argv[0] === INSTALL_SUBCOMMAND) {
    const io = { ...processIo(), env };
    return runDom0InstallCommand(argv.slice(1), io).catch((err: unknown) => reportError('qnetd install', io, err));
  }
  try {
    const config = parseDaemonConfig(argv, env);
    if (config === 'help') {
      process.stdout.write(`${DAEMON_USAGE}\n`);
      return 0;
    }
    return await runQnetd(config, env, seams);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`qnetd: ${err.message} (try --help)\n`);
      return 64;
    }
    const code = err instanceof QnetError ? err.code : 'INTERNAL';
    process.stderr.write(`qnetd: ${code}: ${err instanceof Error ? err.message : String(err)}\n`);
    return exitCodeFor(code);
  }
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then((code) => process.exit(code));
}

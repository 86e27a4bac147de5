import { mkdir } from 'node:fs/promises';
import { inject, injectable } from 'tsyringe';
import { token } from '../../shared/di/token';
import { Logger } from '../../shared/logging/logger';
import type { SocketServer } from '../../shared/runtime/socket-server';
import { EventLog } from '../admin/event-log';
import { QnetAdmin } from '../admin/qnet-admin';
import { InventoryBackend } from '../inventory/inventory-backend';
import { Reconciler } from '../reconciler/reconciler';
import { adminSocketPath, DaemonConfig, qrexecSocketPath } from './daemon-config';

/** The admin socket's server (admin services only) and the qrexec socket's (boot pull and ping only). */
export const AdminSocketServer = token<SocketServer>('AdminSocketServer');
export const QrexecSocketServer = token<SocketServer>('QrexecSocketServer');
export { DaemonConfig };

/**
 * qnetd's lifecycle: load the inventory, converge every running qube, then
 * serve. Stopping closes the sockets and nothing else: what the qubes hold
 * stays as it is.
 */
@injectable()
export class Qnetd {
  private unsubscribe: (() => void) | undefined;

  constructor(
    @inject(DaemonConfig) private readonly config: DaemonConfig,
    @inject(QnetAdmin) private readonly admin: QnetAdmin,
    @inject(Reconciler) private readonly reconciler: Reconciler,
    @inject(EventLog) private readonly events: EventLog,
    @inject(InventoryBackend) private readonly backend: InventoryBackend,
    @inject(AdminSocketServer) private readonly adminServer: SocketServer,
    @inject(QrexecSocketServer) private readonly qrexecServer: SocketServer,
    @inject(Logger) private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await mkdir(this.config.stateDir, { recursive: true, mode: 0o700 });
    await mkdir(this.config.runDir, { recursive: true, mode: 0o755 });
    this.unsubscribe = this.reconciler.onEvent((e) => this.events.append(e));
    const { pushes } = await this.admin.start();
    this.log.info(`inventory loaded: ${this.reconciler.inventory.size} qubes, ${pushes.length} pushes to converge`);
    // The pull socket first: a qube booting now must get its document even while the admin side starts.
    await this.qrexecServer.listen(qrexecSocketPath(this.config.runDir));
    await this.adminServer.listen(adminSocketPath(this.config.runDir));
  }

  async stop(): Promise<void> {
    await this.adminServer.dispose();
    await this.qrexecServer.dispose();
    this.unsubscribe?.();
    await this.admin.dispose();
    await this.reconciler.dispose();
    this.events.dispose();
    await this.backend.dispose();
  }
}

import { Ping } from '../../services/ping';
import { Push, Status } from '../../services/admin/admin-services';
import type { PushStatus } from '../../services/admin/admin-schemas';
import type { AnyService, RequestInputOf, ResponseOf } from '../../shared/contract/define-service';
import { ServiceClient, type CallOptions } from '../../shared/transport/service-client';
import { DEFAULT_RUN_DIR } from '../daemon/daemon-config';
import { AdminConnection } from './admin-connection';
import { DomainCollection } from './domain-collection';
import { PushBatch } from './push-batch';
import { QnetdEvents } from './qnetd-events';
import { RelayTransport } from './relay-transport';

export interface ConnectOptions {
  /** Where qnetd's sockets are; default `$QNET_RUN_DIR`, else /run/qnet. */
  readonly runDir?: string;
}

/**
 * The dom0 SDK, shaped after qubesadmin: `const app = await Qubes.connect()`,
 * `app.domains`, `vm.features`, `vm.firewall.rules`, `app.events`. Every
 * call goes to qnetd, the only writer of dom0's network state.
 */
export class Qubes {
  readonly domains: DomainCollection;
  readonly events: QnetdEvents;
  private readonly relay: ServiceClient;

  private constructor(private readonly admin: AdminConnection) {
    this.domains = new DomainCollection(admin);
    this.events = new QnetdEvents(admin);
    this.relay = new ServiceClient(new RelayTransport(admin));
  }

  /** Connects and checks that qnetd answers (QnetdUnavailableError when it does not). */
  static async connect(opts: ConnectOptions = {}): Promise<Qubes> {
    const admin = new AdminConnection(opts.runDir ?? (process.env.QNET_RUN_DIR || DEFAULT_RUN_DIR));
    await admin.call(Ping, {}, { timeoutMs: 10_000 });
    return new Qubes(admin);
  }

  get runDir(): string {
    return this.admin.runDir;
  }

  /** Any service defined with defineService, called in `qube` through qnetd's transport; typed both ways. */
  call<S extends AnyService>(
    service: S,
    qube: string,
    request: RequestInputOf<S>,
    opts?: CallOptions,
  ): Promise<ResponseOf<S>> {
    return this.relay.call(service, qube, request, opts);
  }

  /** Desired against applied generation for every (qube, service). */
  async status(): Promise<PushStatus[]> {
    return (await this.admin.call(Status, {})).rows;
  }

  /** Sends the current documents of these running qubes again (all running qubes when none named). */
  async push(qubes: readonly string[] = []): Promise<PushBatch> {
    return new PushBatch(this.admin, (await this.admin.call(Push, { qubes: [...qubes] })).pushes);
  }

  close(): void {
    this.events.close();
  }
}

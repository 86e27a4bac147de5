import { join } from 'node:path';
import type { AnyService, RequestInputOf, ResponseOf } from '../../shared/contract/define-service';
import { ServiceClient } from '../../shared/transport/service-client';
import { SocketServiceTransport } from '../../shared/transport/socket-service-transport';
import { ADMIN_SOCKET_NAME } from '../daemon/daemon-config';
import { toSdkError } from './sdk-errors';

/** Admin calls wait on pushes; their own deadline is the call's business, this only bounds a hung qnetd. */
export const DEFAULT_ADMIN_TIMEOUT_MS = 120_000;

/** One admin call per connection to `$RUN_DIR/qnetd.sock`, errors typed for SDK users. */
export class AdminConnection {
  private readonly client: ServiceClient;
  private readonly background: ServiceClient;

  constructor(readonly runDir: string) {
    const path = join(runDir, ADMIN_SOCKET_NAME);
    this.client = new ServiceClient(new SocketServiceTransport({ path, source: 'dom0' }));
    this.background = new ServiceClient(new SocketServiceTransport({ path, source: 'dom0', unref: true }));
  }

  async call<S extends AnyService>(
    svc: S,
    request: RequestInputOf<S>,
    opts: { timeoutMs?: number; background?: boolean } = {},
  ): Promise<ResponseOf<S>> {
    try {
      return await (opts.background ? this.background : this.client).call(svc, 'dom0', request, {
        timeoutMs: opts.timeoutMs ?? DEFAULT_ADMIN_TIMEOUT_MS,
      });
    } catch (err) {
      throw toSdkError(err);
    }
  }
}

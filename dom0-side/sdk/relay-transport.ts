import { RelayCall } from '../../services/admin/admin-services';
import type { InvokeOptions, Transport } from '../../shared/transport/transport';
import type { AdminConnection } from './admin-connection';

/**
 * A Transport whose calls qnetd makes with its own transport (qrexec-client in
 * dom0, the router in the simulation). The bytes are checked at both ends:
 * the SDK's ServiceClient validates the reply against the service definition.
 */
export class RelayTransport implements Transport {
  constructor(private readonly admin: AdminConnection) {}

  async invoke(target: string, serviceAndArg: string, payload: Uint8Array, opts: InvokeOptions): Promise<Buffer> {
    const { reply } = await this.admin.call(
      RelayCall,
      { target, service: serviceAndArg, payload, timeoutMs: opts.timeoutMs, maxReplyBytes: opts.maxReplyBytes },
      { timeoutMs: opts.timeoutMs + 5_000 },
    );
    return Buffer.from(reply);
  }
}

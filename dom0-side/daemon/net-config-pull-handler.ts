import { inject, injectable } from 'tsyringe';
import { NetConfigPull } from '../../services/net-config';
import type { CallContext } from '../../shared/contract/call-context';
import type { RequestOf, ResponseOf } from '../../shared/contract/define-service';
import type { ServiceHandler } from '../../shared/contract/service-handler';
import { NotFoundError, quote } from '../../shared/errors/qnet-error';
import { NET_CONFIG } from '../documents/document-types';
import { Reconciler } from '../reconciler/reconciler';

/**
 * The boot-time pull. Whose document is returned follows from `ctx.source`
 * alone (qrexec's word for the caller); the request has no fields, and
 * nothing the caller sends could name another qube.
 */
@injectable()
export class NetConfigPullHandler implements ServiceHandler<typeof NetConfigPull> {
  readonly service = NetConfigPull;

  constructor(@inject(Reconciler) private readonly reconciler: Reconciler) {}

  async handle(_request: RequestOf<typeof NetConfigPull>, ctx: CallContext): Promise<ResponseOf<typeof NetConfigPull>> {
    const held = this.reconciler.netConfigFor(ctx.source);
    if (!held || held.document.service !== NET_CONFIG) {
      throw new NotFoundError(`no network configuration for ${quote(ctx.source, 32)}`);
    }
    return { ...held.document.body, generation: held.generation };
  }
}

import { inject, injectable } from 'tsyringe';
import { NetConfig, type NetConfigDocument } from '../../services/net-config';
import type { CallContext } from '../../shared/contract/call-context';
import type { ResponseOf } from '../../shared/contract/define-service';
import type { ServiceHandler } from '../../shared/contract/service-handler';
import { GenerationGate } from '../apply/generation-gate';
import { NetConfigApplier } from '../apply/net-config-applier';
import { requireAdmin } from './require-admin';

@injectable()
export class NetConfigHandler implements ServiceHandler<typeof NetConfig> {
  readonly service = NetConfig;

  constructor(
    @inject(GenerationGate) private readonly gate: GenerationGate,
    @inject(NetConfigApplier) private readonly applier: NetConfigApplier,
  ) {}

  async handle(request: NetConfigDocument, ctx: CallContext): Promise<ResponseOf<typeof NetConfig>> {
    requireAdmin(ctx);
    return this.gate.submit(this.applier, request);
  }
}

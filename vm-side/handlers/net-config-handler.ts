import { inject, injectable } from 'tsyringe';
import { NetConfig, type NetConfigDocument } from '../../services/net-config';
import type { CallContext } from '../../shared/contract/call-context';
import type { ResponseOf } from '../../shared/contract/define-service';
import type { ServiceHandler } from '../../shared/contract/service-handler';
import { GenerationGate } from '../apply/generation-gate';
import { NetConfigApplier } from '../apply/net-config-applier';
import { Logger } from '../../shared/logging/logger';
import { AnswerDeadlineMs, answerWithin } from '../apply/answer-deadline';
import { requireAdmin } from './require-admin';

@injectable()
export class NetConfigHandler implements ServiceHandler<typeof NetConfig> {
  readonly service = NetConfig;

  constructor(
    @inject(GenerationGate) private readonly gate: GenerationGate,
    @inject(NetConfigApplier) private readonly applier: NetConfigApplier,
    @inject(AnswerDeadlineMs) private readonly deadlineMs: number,
    @inject(Logger) private readonly log: Logger,
  ) {}

  async handle(request: NetConfigDocument, ctx: CallContext): Promise<ResponseOf<typeof NetConfig>> {
    requireAdmin(ctx);
    const work = this.gate.submit(this.applier, request);
    return answerWithin(
      work,
      this.deadlineMs,
      { service: this.service.name, generation: request.generation },
      this.log,
    );
  }
}

import { inject, injectable } from 'tsyringe';
import { DnsUpdate, type DnsUpdateDocument } from '../../services/dns-update';
import type { CallContext } from '../../shared/contract/call-context';
import type { ResponseOf } from '../../shared/contract/define-service';
import type { ServiceHandler } from '../../shared/contract/service-handler';
import { GenerationGate } from '../apply/generation-gate';
import { DnsUpdateApplier } from '../apply/dns-update-applier';
import { Logger } from '../../shared/logging/logger';
import { AnswerDeadlineMs, answerWithin } from '../apply/answer-deadline';
import { requireAdmin } from './require-admin';

/**
 * Called by dom0 over qrexec. The qube's own `dns-update` (its uplink hook,
 * a VPN client) sets a local override instead, which a push never undoes.
 */
@injectable()
export class DnsUpdateHandler implements ServiceHandler<typeof DnsUpdate> {
  readonly service = DnsUpdate;

  constructor(
    @inject(GenerationGate) private readonly gate: GenerationGate,
    @inject(DnsUpdateApplier) private readonly applier: DnsUpdateApplier,
    @inject(AnswerDeadlineMs) private readonly deadlineMs: number,
    @inject(Logger) private readonly log: Logger,
  ) {}

  async handle(request: DnsUpdateDocument, ctx: CallContext): Promise<ResponseOf<typeof DnsUpdate>> {
    requireAdmin(ctx);
    const work = this.gate.submit(this.applier, request).then(async (applied) => {
      // Honest to dom0: its document is held, but the qube's own override is what the DNS chain says.
      const localOverride = await this.applier.overrideInForce();
      if (localOverride === undefined) return applied;
      this.log.info(
        `${this.service.name}: generation ${applied.appliedGeneration} held; local override in force ` +
          `(${localOverride.join(', ') || 'no servers: DNS dropped'})`,
      );
      return { ...applied, localOverride };
    });
    return answerWithin(
      work,
      this.deadlineMs,
      { service: this.service.name, generation: request.generation },
      this.log,
    );
  }
}

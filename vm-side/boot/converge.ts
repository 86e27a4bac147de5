import { inject, injectAll, injectable } from 'tsyringe';
import { describeIssue } from '../../shared/errors/describe-issue';
import { Logger } from '../../shared/logging/logger';
import { ApplyLock } from '../apply/apply-lock';
import { DocumentApplier } from '../apply/document-applier';
import { DocumentStore } from '../state/document-store';

export interface ConvergeResult {
  readonly applied: string[];
  readonly failed: string[];
}

/**
 * Re-applies every saved document, in the order the appliers are registered
 * (NetConfig before DnsUpdate), before the agent serves a call: after a
 * crash or a reboot the kernel holds again what dom0 last pushed. One failing
 * document does not stop the others; the agent still starts, so dom0 can push
 * a correction.
 */
@injectable()
export class Converger {
  constructor(
    @injectAll(DocumentApplier) private readonly appliers: DocumentApplier[],
    @inject(DocumentStore) private readonly store: DocumentStore,
    @inject(ApplyLock) private readonly lock: ApplyLock,
    @inject(Logger) private readonly log: Logger,
  ) {}

  async converge(): Promise<ConvergeResult> {
    const result: ConvergeResult = { applied: [], failed: [] };
    for (const applier of this.appliers) {
      const stored = await this.store.load(applier.service).catch((err: unknown) => {
        this.log.error(`${applier.service}: unreadable state: ${(err as Error).message}`);
        result.failed.push(applier.service);
        return undefined;
      });
      if (!stored) continue;
      const parsed = applier.schema.safeParse(stored.document);
      if (!parsed.success) {
        this.log.error(`${applier.service}: saved document is invalid: ${describeIssue(parsed.error.issues[0])}`);
        result.failed.push(applier.service);
        continue;
      }
      try {
        await this.lock.run(() => applier.apply(parsed.data));
        result.applied.push(applier.service);
        this.log.info(`${applier.service}: generation ${stored.generation} re-applied`);
      } catch (err) {
        this.log.error(
          `${applier.service}: re-applying generation ${stored.generation} failed: ${(err as Error).message}`,
        );
        result.failed.push(applier.service);
      }
    }
    return result;
  }
}

import { inject, injectable } from 'tsyringe';
import { fromErrno } from '../../shared/errors/errno-error';
import { Logger } from '../../shared/logging/logger';
import { DocumentStore } from '../state/document-store';
import { ApplyLock } from './apply-lock';
import type { DocumentApplier } from './document-applier';

/**
 * dom0 stamps each push with a generation per (qube, service). An older one
 * than we hold is refused: nothing is applied, and the answer names the
 * generation we hold, so a reordered or replayed push is harmless. The same
 * generation again is re-applied (it converges whatever drifted). A document
 * is saved only once it is in the kernel.
 */
@injectable()
export class GenerationGate {
  constructor(
    @inject(DocumentStore) private readonly store: DocumentStore,
    @inject(ApplyLock) private readonly lock: ApplyLock,
    @inject(Logger) private readonly log: Logger,
  ) {}

  submit<D extends { generation: number }>(
    applier: DocumentApplier<D>,
    doc: D,
  ): Promise<{ appliedGeneration: number }> {
    return this.lock.run(async () => {
      const held = await this.store.load(applier.service);
      if (held && doc.generation < held.generation) {
        this.log.info(`${applier.service}: refused stale generation ${doc.generation}, holding ${held.generation}`);
        return { appliedGeneration: held.generation };
      }
      // The held document is our own file, but a file all the same: checked before it steers a teardown.
      const previous = held ? applier.schema.safeParse(held.document) : undefined;
      await applier.apply(doc, previous?.success ? previous.data : undefined);
      try {
        await this.store.save(applier.service, doc.generation, doc);
      } catch (err) {
        // The kernel holds the document: say so, and why it will not survive a restart.
        throw (
          fromErrno(err, `${applier.service} generation ${doc.generation} is in force but could not be saved`) ?? err
        );
      }
      return { appliedGeneration: doc.generation };
    });
  }
}

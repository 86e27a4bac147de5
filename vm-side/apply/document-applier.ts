import type { z } from 'zod';
import { token } from '../../shared/di/token';

/**
 * Applies one service's document to the kernel. The generation gate, the
 * boot pull and start-up convergence all go through this, so a document is
 * applied the same way whichever path brought it.
 */
export interface DocumentApplier<D = unknown> {
  readonly service: string;
  /** The schema a stored document is checked against before it is re-applied. */
  readonly schema: z.ZodType<D, unknown>;
  /** The changes `apply` would make now, one line each (--dry-run). */
  describePlan(doc: D, previous?: D): Promise<string[]>;
  /** `previous` is the document applied before, so what only it asked for can be removed. */
  apply(doc: D, previous?: D): Promise<void>;
}
export const DocumentApplier = token<DocumentApplier>('DocumentApplier');

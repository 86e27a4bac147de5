import type { WireError } from '../../shared/envelope/envelope';
import type { DocumentService, QubeDocument } from '../documents/document-types';

/** What the reconciler knows about one (qube, service). */
export interface KeyState {
  readonly qube: string;
  readonly service: DocumentService;
  /** The document the qube should hold, and the generation it was stamped with. */
  desired?: { readonly doc: QubeDocument; readonly generation: number };
  /** The last generation the qube acknowledged in this run. */
  applied?: { readonly generation: number; readonly at: number; readonly ruleFailures: number };
  /** The last push that failed after every attempt; cleared by a later acknowledgement. */
  failure?: { readonly generation: number; readonly error: WireError; readonly at: number; readonly attempts: number };
  /** The last generation the qube pulled at boot: served, but not acknowledged as applied. */
  pulled?: { readonly generation: number; readonly at: number };
  /** The generation on the wire right now. */
  inFlight?: number;
}

import type { RuleFailureReport } from '../../services/admin/admin-schemas';
import type { WireError } from '../../shared/envelope/envelope';
import type { DocumentService, QubeDocument } from '../documents/document-types';

/** Tries since the last acknowledgement of one (qube, service) that did not succeed. */
export interface RetryState {
  /** Failed tries in this streak (what `qnet status` counts). */
  attempts: number;
  /** Tries since the last push request: the backoff exponent (a new request starts the backoff over). */
  step: number;
  /** The push id each of the last `attempts` (option) failed tries was made for, oldest first. */
  covered: number[];
  generation: number;
  error: WireError;
  at: number;
  /** The qube said it applies the document later: not a failure, checked again. */
  applying: boolean;
  nextAt?: number;
  timer?: NodeJS.Timeout;
}

/** What the reconciler knows about one (qube, service). */
export interface KeyState {
  readonly qube: string;
  readonly service: DocumentService;
  /** The document the qube should hold, and the generation it was stamped with. */
  desired?: { readonly doc: QubeDocument; readonly generation: number };
  /** The last generation the qube acknowledged in this run, and the rules it could not install. */
  applied?: {
    readonly generation: number;
    readonly at: number;
    readonly ruleFailures: readonly RuleFailureReport[];
    /** DnsUpdate: the qube answered that its own DNS override is in force instead (a VPN qube). */
    readonly localOverride?: readonly string[];
  };
  /** The last generation the qube pulled at boot: served, but not acknowledged as applied. */
  pulled?: { readonly generation: number; readonly at: number };
  /** The send on the wire right now: its generation and the newest push request it serves. */
  inFlight?: { readonly generation: number; readonly push: number };
  /** The newest push request for this key (0: none yet). */
  requested: number;
  /** The newest push request a send acknowledged by the qube was made for. */
  acknowledged: number;
  /** The newest push request already reported failed (so each is reported once). */
  reportedFailed: number;
  retry?: RetryState;
}

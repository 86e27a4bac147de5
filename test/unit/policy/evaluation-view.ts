import type { AllowResolution, AskResolution, Evaluation } from '../../../policy/evaluator/evaluate';
import type { VmToken } from '../../../policy/parser/vm-token';

/** An evaluation seen the way the tests ask about it: its denial, its resolution, its verified target. */
export interface EvaluationView extends Evaluation {
  readonly denial: { stage: string; message: string; notify: boolean } | null;
  readonly resolution: AllowResolution | AskResolution | null;
  readonly requestedTarget: VmToken | null;
}

export function view(e: Evaluation): EvaluationView {
  const o = e.outcome;
  return {
    ...e,
    denial:
      o.kind === 'deny'
        ? { stage: o.stage, message: o.message, notify: o.notify }
        : o.kind === 'crash'
          ? { stage: o.stage, message: o.message, notify: false }
          : null,
    resolution: o.kind === 'allow' || o.kind === 'ask' ? o : null,
    requestedTarget: e.resolved?.target ?? null,
  };
}

import { compareCodePoints } from '../parser/py-repr';
import type { Evaluation } from './evaluate';

export type Decision = 'allow' | 'deny' | 'ask';

/** One line of `qnet policy eval` output (field order is part of the format). */
export interface EvaluationReport {
  readonly id: unknown;
  readonly decision: Decision;
  readonly rule: { readonly file: string; readonly line: number | null } | null;
  readonly target: string | null;
  readonly user: string | null;
  readonly autostart: boolean | null;
  readonly notify: boolean;
  readonly targets_for_ask: string[] | null;
  readonly default_target: string | null;
  readonly error: { readonly stage: string; readonly message: string } | null;
  readonly daemon_response: string;
}

/** The evaluation's verdict; a crash of upstream's evaluator is a deny. */
export function decisionOf(evaluation: Evaluation): Decision {
  const kind = evaluation.outcome.kind;
  return kind === 'crash' ? 'deny' : kind;
}

export function toEvaluationReport(id: unknown, evaluation: Evaluation, daemonResponse: string): EvaluationReport {
  const outcome = evaluation.outcome;
  const rule = evaluation.rule ? { file: evaluation.rule.relFile, line: evaluation.rule.line } : null;
  const res = outcome.kind === 'allow' || outcome.kind === 'ask' ? outcome : null;
  return {
    id: id ?? null,
    decision: decisionOf(evaluation),
    rule,
    target: res?.kind === 'allow' ? res.target : null,
    user: res ? res.user : null,
    autostart: res ? res.autostart : null,
    // a deny carries whether upstream would notify the user about it; a crash notifies nobody
    notify: res ? res.notify : outcome.kind === 'deny' ? outcome.notify : false,
    targets_for_ask: res?.kind === 'ask' ? [...res.targetsForAsk].sort(compareCodePoints) : null,
    default_target: res?.kind === 'ask' ? res.defaultTarget : null,
    error:
      outcome.kind === 'deny' || outcome.kind === 'crash' ? { stage: outcome.stage, message: outcome.message } : null,
    daemon_response: daemonResponse,
  };
}

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

export function decisionOf(evaluation: Evaluation): Decision {
  const res = evaluation.resolution;
  if (res === null || evaluation.denial !== null) return 'deny';
  return res.kind;
}

export function toEvaluationReport(id: unknown, evaluation: Evaluation, daemonResponse: string): EvaluationReport {
  const decision = decisionOf(evaluation);
  const rule = evaluation.rule ? { file: evaluation.rule.relFile, line: evaluation.rule.line } : null;
  const res = decision === 'deny' ? null : evaluation.resolution;
  return {
    id: id ?? null,
    decision,
    rule,
    target: res?.kind === 'allow' ? res.target : null,
    user: res?.user || null,
    autostart: res ? res.autostart : null,
    notify: res ? res.notify : (evaluation.denial?.notify ?? true),
    targets_for_ask: res?.kind === 'ask' ? [...res.targetsForAsk].sort(compareCodePoints) : null,
    default_target: res?.kind === 'ask' ? res.defaultTarget : null,
    error: evaluation.denial ? { stage: evaluation.denial.stage, message: evaluation.denial.message } : null,
    daemon_response: daemonResponse,
  };
}

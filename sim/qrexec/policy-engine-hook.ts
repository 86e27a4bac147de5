import { inject, injectable } from 'tsyringe';
import type { PolicyHook, PolicyQuery, PolicyVerdict } from './policy-hook';
import { renderDaemonResponse } from '../../policy/daemon/render-daemon-response';
import { evaluateRequest } from '../../policy/evaluator/evaluate';
import { PolicySnapshotProvider } from '../../policy/policy-source';

/**
 * Gates the simulation router with real policy files, loaded and reloaded by
 * the same PolicySource that `qnet policy serve` uses. Nobody can answer a
 * prompt in the simulation, so `ask` is refused like an unanswered prompt.
 */
@injectable()
export class PolicyEngineHook implements PolicyHook {
  constructor(@inject(PolicySnapshotProvider) private readonly provider: PolicySnapshotProvider) {}

  evaluate(query: PolicyQuery): PolicyVerdict {
    const { state, info } = this.provider.current();
    const evaluation = evaluateRequest(state, info, {
      service: query.service,
      argument: `+${query.argument}`,
      source: query.source,
      target: query.target,
    });
    const outcome = evaluation.outcome;
    if (outcome.kind === 'allow') {
      // an allow is still refused when executed (loopback, a RemoteVM without relay), as upstream's daemon does
      const answer = renderDaemonResponse(evaluation, info, { justEvaluate: false, assumeYesForAsk: false });
      if (answer.split('\n').includes('result=allow')) return { allow: true, target: outcome.target };
      return { allow: false, reason: `allowed by policy but refused when executed (target ${outcome.target})` };
    }
    if (outcome.kind === 'ask') {
      const rule = evaluation.rule ? `${evaluation.rule.file}:${evaluation.rule.line}` : 'policy';
      return { allow: false, reason: `ask at ${rule}: nobody can answer a prompt in the simulation` };
    }
    return { allow: false, reason: outcome.message };
  }
}

import type { PushResult, PushStatus, PushTarget } from '../../services/admin/admin-schemas';
import type { KeyState } from './key-state';
import { ruleFailureLine } from './rule-failures';

export interface KeyActivity {
  readonly running: boolean;
  /** A push is queued (dirty) for this key. */
  readonly queued: boolean;
  /** Now, for "next in Ts". */
  readonly now: number;
  /** Tries after which a push request is reported failed. */
  readonly reportAfter: number;
}

const seconds = (ms: number) => `${Math.max(0, Math.ceil(ms / 1000))}s`;

/** Desired against applied, and in words why it is behind. Pure. */
export function describeStatus(st: KeyState, activity: KeyActivity): PushStatus | undefined {
  if (!st.desired) return undefined;
  const desired = st.desired.generation;
  const applied = st.applied?.generation ?? null;
  const retry = st.retry;
  const ruleFailures = st.applied?.ruleFailures ?? [];
  const base = {
    qube: st.qube,
    service: st.service,
    power: activity.running ? ('running' as const) : ('halted' as const),
    desired,
    applied,
    ...(ruleFailures.length ? { ruleFailures: [...ruleFailures] } : {}),
    ...(retry && !retry.applying ? { lastError: retry.error, attempts: retry.attempts } : {}),
    ...(retry?.nextAt !== undefined ? { nextRetryAt: retry.nextAt } : {}),
  };
  // A push request not acknowledged yet (a re-push to a qube that lost its state) is not converged,
  // even when an earlier send of the same generation was acknowledged.
  if (applied !== null && applied >= desired && st.acknowledged >= st.requested) {
    const override = st.applied?.localOverride;
    if (override) {
      // Converged (the qube holds this generation), but say what is really in its DNS chain.
      const servers = override.length ? override.join(', ') : 'none, DNS dropped';
      return {
        ...base,
        state: 'ok',
        reason: `held behind the qube's own DNS override (${servers}) until qnet-agent dns-update --clear there`,
      };
    }
    if (!ruleFailures.length) return { ...base, state: 'ok' };
    const listed = ruleFailureLine(ruleFailures[0]);
    const more = ruleFailures.length > 1 ? `; and ${ruleFailures.length - 1} more` : '';
    return { ...base, state: 'ok', reason: `${ruleFailures.length} firewall rule(s) not installed: ${listed}${more}` };
  }
  if (!activity.running) return { ...base, state: 'halted', reason: 'halted: the qube pulls its document at boot' };
  const tries = retry ? ` (attempt ${retry.attempts + 1})` : '';
  if (st.inFlight !== undefined) {
    return { ...base, state: 'pushing', reason: `pushing generation ${st.inFlight.generation}${tries}` };
  }
  if (activity.queued) return { ...base, state: 'queued', reason: 'waiting for its netvm or a free push slot' };
  if (retry?.applying) {
    const next = retry.nextAt === undefined ? '' : `, checking again in ${seconds(retry.nextAt - activity.now)}`;
    return { ...base, state: 'applying', reason: `the qube applies generation ${retry.generation} later${next}` };
  }
  if (retry) {
    const next = retry.nextAt === undefined ? '' : `, next in ${seconds(retry.nextAt - activity.now)}`;
    return {
      ...base,
      state: 'retrying',
      reason: `retrying (attempt ${retry.attempts + 1}${next}): generation ${retry.generation}: ${retry.error.code}: ${retry.error.message}`,
    };
  }
  const pulled =
    st.pulled && st.pulled.generation >= desired ? `; it pulled generation ${st.pulled.generation} at boot` : '';
  return { ...base, state: 'unacknowledged', reason: `no acknowledgement in this run of qnetd${pulled}` };
}

/**
 * Where one push request stands. Only a send made for this request (or a later one) counts: an
 * acknowledgement or failures from before it was asked for say nothing about it. Pure.
 */
export function describeOutcome(target: PushTarget, st: KeyState | undefined, activity: KeyActivity): PushResult {
  const applied = st?.applied?.generation ?? null;
  const base = { ...target, applied };
  // An identity this run never handed out (a caller from before a qnetd restart) stands for the newest request.
  const push = Math.min(target.push, st?.requested ?? 0);
  if (st && applied !== null && st.acknowledged >= push && applied >= target.generation) {
    const ruleFailures = st.applied?.ruleFailures ?? [];
    return { ...base, outcome: 'done', ...(ruleFailures.length ? { ruleFailures: [...ruleFailures] } : {}) };
  }
  if (!st?.desired || !activity.running) return { ...base, outcome: 'skipped' };
  const retry = st.retry;
  if (retry && !retry.applying && failedFor(retry.covered, activity.reportAfter) >= push) {
    return { ...base, outcome: 'failed', error: retry.error, attempts: retry.attempts };
  }
  return { ...base, outcome: 'pending' };
}

/** The newest push request that the last `reportAfter` failed tries were all made for (0: none). */
export function failedFor(covered: readonly number[], reportAfter: number): number {
  return covered.length >= reportAfter ? covered[covered.length - reportAfter] : 0;
}

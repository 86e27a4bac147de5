import type { PushResult, PushStatus } from '../../services/admin/admin-schemas';
import type { KeyState } from './key-state';

export interface KeyActivity {
  readonly running: boolean;
  /** A push is queued (dirty) for this key. */
  readonly queued: boolean;
}

/** Desired against applied, and in words why it is behind. Pure. */
export function describeStatus(st: KeyState, activity: KeyActivity): PushStatus | undefined {
  if (!st.desired) return undefined;
  const desired = st.desired.generation;
  const applied = st.applied?.generation ?? null;
  const base = {
    qube: st.qube,
    service: st.service,
    power: activity.running ? ('running' as const) : ('halted' as const),
    desired,
    applied,
    ...(st.applied?.ruleFailures ? { ruleFailures: st.applied.ruleFailures } : {}),
    ...(st.failure ? { lastError: st.failure.error, attempts: st.failure.attempts } : {}),
  };
  if (applied !== null && applied >= desired) {
    return st.applied?.ruleFailures
      ? { ...base, state: 'ok', reason: `${st.applied.ruleFailures} firewall rule(s) could not be installed` }
      : { ...base, state: 'ok' };
  }
  if (!activity.running) return { ...base, state: 'halted', reason: 'halted: the qube pulls its document at boot' };
  if (st.inFlight !== undefined) return { ...base, state: 'pushing', reason: `pushing generation ${st.inFlight}` };
  if (activity.queued) return { ...base, state: 'queued', reason: 'waiting for its netvm or a free push slot' };
  if (st.failure) {
    return {
      ...base,
      state: 'failed',
      reason: `push of generation ${st.failure.generation} failed after ${st.failure.attempts} attempt(s): ${st.failure.error.code}: ${st.failure.error.message}`,
    };
  }
  const pulled =
    st.pulled && st.pulled.generation >= desired ? `; it pulled generation ${st.pulled.generation} at boot` : '';
  return { ...base, state: 'unacknowledged', reason: `no acknowledgement in this run of qnetd${pulled}` };
}

/** Where one awaited push stands. Pure. */
export function describeOutcome(
  target: { qube: string; service: PushResult['service']; generation: number },
  st: KeyState | undefined,
  activity: KeyActivity,
): PushResult {
  const applied = st?.applied?.generation ?? null;
  const base = { ...target, applied };
  if (applied !== null && applied >= target.generation) return { ...base, outcome: 'done' };
  if (!st?.desired || !activity.running) return { ...base, outcome: 'skipped' };
  const busy = st.inFlight !== undefined || activity.queued;
  if (!busy && st.failure && st.failure.generation >= target.generation) {
    return { ...base, outcome: 'failed', error: st.failure.error };
  }
  return { ...base, outcome: 'pending' };
}

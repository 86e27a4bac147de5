import type { PowerState } from '../inventory/qube';

/**
 * qubesd's power states that mean qnet can push to the qube now. Paused and
 * Suspended qubes keep their vif. Transient (started, qrexec not yet up) counts
 * as halted: the qube pulls its config at boot, and `domain-start` follows.
 */
const RUNNING_STATES = new Set(['Running', 'Paused', 'Suspended']);

export function toPowerState(qubesdState: string): PowerState {
  return RUNNING_STATES.has(qubesdState) ? 'running' : 'halted';
}

import type { PushResult, PushTarget, RuleFailureReport } from '../../services/admin/admin-schemas';
import { WaitPushes } from '../../services/admin/admin-services';
import type { AdminConnection } from './admin-connection';

export interface PushReport {
  /** False when the deadline came first (some results are `pending`). */
  readonly complete: boolean;
  readonly results: readonly PushResult[];
  /** Pushes whose first tries all failed; qnetd keeps retrying them (see `app.status()`). */
  readonly failed: readonly PushResult[];
  /** Firewall rules a provider acknowledged but could not install, with the provider's name. */
  readonly ruleFailures: readonly (RuleFailureReport & { readonly qube: string })[];
}

export interface WaitOptions {
  /** Default two minutes. */
  readonly timeoutMs?: number;
  /** Called as results come in (every `pollMs`); e.g. a progress bar. */
  readonly onProgress?: (results: readonly PushResult[]) => void;
  readonly pollMs?: number;
}

/** qnet.admin.Wait takes at most this per call; longer waits are several calls. */
const MAX_WAIT_SLICE_MS = 600_000;

/**
 * The pushes one change (or `app.push()`) asked for; `wait()` resolves when each is acknowledged, failed or
 * moot. Each target carries its request's identity (`push`): only a send made for it counts, so a re-push of a
 * generation the qube already held is not "done" until the qube acknowledges it again.
 */
export class PushBatch {
  constructor(
    private readonly admin: AdminConnection,
    readonly pushes: readonly PushTarget[],
  ) {}

  async wait(opts: WaitOptions = {}): Promise<PushReport> {
    const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
    const slice = opts.onProgress ? (opts.pollMs ?? 200) : MAX_WAIT_SLICE_MS;
    for (;;) {
      const remaining = Math.max(0, deadline - Date.now());
      const { complete, results } = await this.admin.call(
        WaitPushes,
        { targets: [...this.pushes], timeoutMs: Math.min(slice, remaining, MAX_WAIT_SLICE_MS) },
        { timeoutMs: Math.min(slice, remaining, MAX_WAIT_SLICE_MS) + 30_000 },
      );
      opts.onProgress?.(results);
      if (complete || Date.now() >= deadline) {
        return {
          complete,
          results,
          failed: results.filter((r) => r.outcome === 'failed'),
          ruleFailures: results.flatMap((r) => (r.ruleFailures ?? []).map((f) => ({ qube: r.qube, ...f }))),
        };
      }
    }
  }
}

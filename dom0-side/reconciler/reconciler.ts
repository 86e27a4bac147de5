import { inject, injectable } from 'tsyringe';
import type { PushResult, PushStatus, PushTarget, RuleFailureReport } from '../../services/admin/admin-schemas';
import type { WireError } from '../../shared/envelope/envelope';
import type { AnyService } from '../../shared/contract/define-service';
import { ApplyFailedError, NotFoundError, quote } from '../../shared/errors/qnet-error';
import { toWireError } from '../../shared/errors/to-wire-error';
import { Logger } from '../../shared/logging/logger';
import { RemoteServiceError } from '../../shared/errors/client-errors';
import { ServiceClient } from '../../shared/transport/service-client';
import { ALL_SERVICES, pushOrder, type DocumentChange } from '../documents/document-changes';
import {
  documentKey,
  FIREWALL_SYNC,
  NET_CONFIG,
  SERVICE_PUSH_RANK,
  type DocumentService,
  type QubeDocument,
} from '../documents/document-types';
import { computeSnapshot, type NetworkSnapshot } from '../documents/network-snapshot';
import { nextRuleExpiry } from '../documents/next-rule-expiry';
import { planChanges } from '../documents/plan-changes';
import { netvmDepth } from '../documents/qube-network';
import type { Inventory } from '../inventory/inventory';
import { describeOutcome, describeStatus, failedFor, type KeyActivity } from './describe-status';
import { GenerationCounter } from './generation-counter';
import type { KeyState, RetryState } from './key-state';
import type { ReconcilerEvent, ReconcilerListener } from './reconciler-events';
import { backoffDelay, ReconcilerOptions } from './reconciler-options';
import { PUSH_SERVICES } from './service-definitions';
import { SerialQueue } from '../../shared/runtime/serial-queue';
import { Clock } from './timers';
import { describeRuleFailures, LOGGED_RULE_FAILURES, ruleFailureLine } from './rule-failures';
import { readReply, type PushReply } from './push-reply';
import { withDeadline } from './with-deadline';

const DEADLINE_MARGIN_MS = 1_000;

const SERVICES_IN_RANK = [...ALL_SERVICES].sort((a, b) => SERVICE_PUSH_RANK[a] - SERVICE_PUSH_RANK[b]);
type PushItem = { readonly qube: string; readonly service: DocumentService };
const compareNames = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const asAdded = (document: QubeDocument): DocumentChange => ({
  kind: 'added',
  qube: document.qube,
  service: document.service,
  document,
});

/**
 * The changed documents plus every document of a qube that just started: it
 * holds nothing yet, and a provider's FirewallSync and DnsUpdate are never
 * pulled at boot, only pushed.
 */
function withStartedQubes(
  changed: readonly DocumentChange[],
  before: NetworkSnapshot,
  after: NetworkSnapshot,
): DocumentChange[] {
  const all = new Map(changed.map((c) => [documentKey(c.qube, c.service), c]));
  for (const q of after.network.values()) {
    if (!q.running || before.network.get(q.name)?.running === true) continue;
    for (const service of ALL_SERVICES) {
      const doc = after.documents.get(documentKey(q.name, service));
      if (doc && !all.has(documentKey(q.name, service))) all.set(documentKey(q.name, service), asAdded(doc));
    }
  }
  return [...all.values()];
}

/**
 * Makes every running qube hold dom0's documents. A change is planned into
 * changed documents (one plan at a time, so two changes never mix), each
 * stamped with a fresh generation; the affected (qube, service) pairs are
 * queued, and a queued pair always sends the newest document when its turn
 * comes, so pushes coalesce and the last change wins everywhere. A qube is
 * pushed only after its netvm's queued pushes are done (a provider's own
 * config before its clients'); qubes are pushed in parallel up to a bound,
 * and each call has a deadline. A document the qube did not acknowledge is
 * tried again after a capped, jittered backoff for as long as the qube runs
 * (nobody has to type `qnet push`); between tries it holds no slot, and its
 * clients wait for it only during its first tries. Every push request has an
 * identity, and its outcome is that of the sends made for it.
 */
@injectable()
export class Reconciler {
  private snapshot: NetworkSnapshot | undefined;
  private readonly keys = new Map<string, KeyState>();
  /** Queued pushes per qube. */
  private readonly dirty = new Map<string, Set<DocumentService>>();
  /** Qubes with a push task running. */
  private readonly active = new Set<string>();
  private depthCache: Map<string, number> | undefined;
  private readonly planning = new SerialQueue();
  private readonly listeners = new Set<ReconcilerListener>();
  private readonly waiters = new Set<() => void>();
  private expiryTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  /** Identity of push requests: every change and every `qnet push` asks anew. */
  private pushSeq = 0;

  constructor(
    @inject(ServiceClient) private readonly client: ServiceClient,
    @inject(GenerationCounter) private readonly generations: GenerationCounter,
    @inject(ReconcilerOptions) private readonly opts: ReconcilerOptions,
    @inject(Clock) private readonly clock: Clock,
    @inject(Logger) private readonly log: Logger,
  ) {}

  /**
   * The first snapshot. Every document gets a generation above anything an
   * earlier run handed out, and every running qube is sent all of its
   * documents: after a restart or a crash nobody knows what they hold.
   */
  start(inventory: Inventory): Promise<PushTarget[]> {
    return this.serialize(async () => {
      const snapshot = computeSnapshot(inventory, this.clock.now());
      const docs = [...snapshot.documents.values()];
      let generation = await this.generations.take(docs.length);
      for (const doc of docs) this.stateOf(doc.qube, doc.service).desired = { doc, generation: generation++ };
      this.setSnapshot(snapshot);
      return this.enqueue(pushOrder(docs.map(asAdded), snapshot.network));
    });
  }

  /** A new inventory (a change, an event, a resync): only the documents that differ are pushed. */
  update(inventory: Inventory): Promise<PushTarget[]> {
    return this.serialize(() => this.plan(inventory));
  }

  /** Plans again at the current time: an expired firewall rule leaves its provider. */
  replan(): Promise<PushTarget[]> {
    return this.serialize(() => this.plan(this.current().inventory));
  }

  /** Sends the current documents of these running qubes again (every running qube when empty). */
  pushAgain(qubes: readonly string[]): Promise<PushTarget[]> {
    return this.serialize(async () => {
      const snapshot = this.current();
      for (const q of qubes) if (!snapshot.network.has(q)) throw new NotFoundError(`no such qube ${quote(q, 32)}`);
      const wanted = qubes.length ? new Set(qubes) : undefined;
      const docs = [...snapshot.documents.values()].filter((d) => !wanted || wanted.has(d.qube));
      return this.enqueue(pushOrder(docs.map(asAdded), snapshot.network));
    });
  }

  /** The qube's own NetConfig with its generation, for the boot-time pull (recorded for `qnet status`). */
  netConfigFor(qube: string): { document: QubeDocument; generation: number } | undefined {
    const st = this.keys.get(documentKey(qube, NET_CONFIG));
    if (!st?.desired) return undefined;
    st.pulled = { generation: st.desired.generation, at: this.clock.now() };
    return { document: st.desired.doc, generation: st.desired.generation };
  }

  get inventory(): Inventory {
    return this.current().inventory;
  }

  get network(): NetworkSnapshot {
    return this.current();
  }

  status(): PushStatus[] {
    const rows: PushStatus[] = [];
    for (const st of this.keys.values()) {
      const row = describeStatus(st, this.activity(st.qube, st.service));
      if (row) rows.push(row);
    }
    return rows.sort(
      (a, b) => compareNames(a.qube, b.qube) || SERVICE_PUSH_RANK[a.service] - SERVICE_PUSH_RANK[b.service],
    );
  }

  statusOf(qube: string): PushStatus[] {
    return SERVICES_IN_RANK.flatMap((service) => {
      const st = this.keys.get(documentKey(qube, service));
      const row = st && describeStatus(st, this.activity(qube, service));
      return row ? [row] : [];
    });
  }

  outcome(target: PushTarget): PushResult {
    return describeOutcome(
      target,
      this.keys.get(documentKey(target.qube, target.service)),
      this.activity(target.qube, target.service),
    );
  }

  /** Resolves when none of `targets` is pending any more, or after `timeoutMs` with what is known then. */
  async wait(targets: readonly PushTarget[], timeoutMs: number): Promise<{ complete: boolean; results: PushResult[] }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const results = targets.map((t) => this.outcome(t));
      const complete = results.every((r) => r.outcome !== 'pending');
      const remaining = deadline - Date.now();
      if (complete || remaining <= 0 || this.disposed) return { complete, results };
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, remaining);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.add(() => done());
      });
    }
  }

  /** Resolves once nothing is queued or being pushed. */
  async idle(): Promise<void> {
    while (this.dirty.size > 0 || this.active.size > 0) {
      await new Promise<void>((resolve) => this.waiters.add(resolve));
    }
  }

  onEvent(listener: ReconcilerListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    clearTimeout(this.expiryTimer);
    for (const st of this.keys.values()) this.cancelRetryTimer(st);
    this.dirty.clear();
    this.notify();
  }

  private async plan(inventory: Inventory): Promise<PushTarget[]> {
    const before = this.current();
    const plan = planChanges(before, inventory, this.clock.now());
    let generation = plan.push.length ? await this.generations.take(plan.push.length) : 0;
    for (const change of plan.changes) {
      if (change.kind !== 'removed') continue;
      const key = documentKey(change.qube, change.service);
      const st = this.keys.get(key);
      if (st) this.dropRetry(st);
      this.keys.delete(key);
    }
    for (const change of plan.push) {
      this.stateOf(change.qube, change.service).desired = { doc: change.document, generation: generation++ };
    }
    this.setSnapshot(plan.snapshot);
    // A qube that stopped or went away takes its queued pushes and retries with it; it pulls at boot,
    // and its start pushes everything again.
    for (const st of this.keys.values()) {
      if (st.retry && !plan.snapshot.network.get(st.qube)?.running) this.dropRetry(st);
    }
    for (const [qube, services] of this.dirty) {
      const q = plan.snapshot.network.get(qube);
      if (!q?.running) this.dirty.delete(qube);
      else for (const s of services) if (!this.keys.get(documentKey(qube, s))?.desired) services.delete(s);
    }
    const targets = this.enqueue(pushOrder(withStartedQubes(plan.push, before, plan.snapshot), plan.snapshot.network));
    this.notify();
    return targets;
  }

  /** New push requests: each gets its own identity, goes out at once, and starts its backoff afresh. */
  private enqueue(items: readonly PushItem[]): PushTarget[] {
    const network = this.current().network;
    const targets: PushTarget[] = [];
    for (const { qube, service } of items) {
      const st = this.keys.get(documentKey(qube, service));
      if (!st?.desired || !network.get(qube)?.running) continue;
      st.requested = ++this.pushSeq;
      if (st.retry) {
        this.cancelRetryTimer(st);
        st.retry.step = 0;
      }
      this.markDirty(qube, service);
      targets.push({ qube, service, generation: st.desired.generation, push: st.requested });
    }
    this.kick();
    return targets;
  }

  private markDirty(qube: string, service: DocumentService): void {
    let set = this.dirty.get(qube);
    if (!set) this.dirty.set(qube, (set = new Set()));
    set.add(service);
  }

  /** Starts push tasks for queued qubes whose netvm chain has nothing queued or in flight. */
  private kick(): void {
    for (const [qube, services] of this.dirty) {
      if (services.size === 0 && !this.active.has(qube)) this.dirty.delete(qube);
    }
    if (this.disposed || this.active.size >= this.opts.concurrency || this.dirty.size === 0) return;
    const ready = [...this.dirty.keys()].filter((q) => !this.active.has(q) && !this.ancestorBusy(q));
    ready.sort((a, b) => this.depth(a) - this.depth(b) || compareNames(a, b));
    for (const qube of ready) {
      if (this.active.size >= this.opts.concurrency) break;
      this.active.add(qube);
      void this.runQube(qube).finally(() => {
        this.active.delete(qube);
        if (this.dirty.get(qube)?.size === 0) this.dirty.delete(qube);
        this.kick();
        this.notify();
      });
    }
  }

  /**
   * A netvm up the chain has pushes queued, on the wire, or still in its first tries (before they are
   * reported failed): its clients wait for it, as they did when those tries were one task.
   */
  private ancestorBusy(qube: string): boolean {
    const network = this.current().network;
    let cur = network.get(qube)?.netvm ?? null;
    for (let hops = 0; cur !== null && hops <= network.size; hops++) {
      if (this.active.has(cur) || this.dirty.has(cur) || this.inFirstTries(cur)) return true;
      cur = network.get(cur)?.netvm ?? null;
    }
    return false;
  }

  private inFirstTries(qube: string): boolean {
    return ALL_SERVICES.some((service) => {
      const retry = this.keys.get(documentKey(qube, service))?.retry;
      return retry !== undefined && retry.timer !== undefined && retry.step < this.opts.attempts;
    });
  }

  private depth(qube: string): number {
    const cache = (this.depthCache ??= new Map());
    let d = cache.get(qube);
    if (d === undefined) cache.set(qube, (d = netvmDepth(this.current().network, qube)));
    return d;
  }

  private async runQube(qube: string): Promise<void> {
    for (;;) {
      const queued = this.dirty.get(qube);
      const service = queued && SERVICES_IN_RANK.find((s) => queued.has(s));
      if (!service || this.disposed) return;
      // Taken off the queue at send time: a request made while this send is on the wire queues it again.
      queued.delete(service);
      await this.tryKey(qube, service);
    }
  }

  /** One try of the newest document of a key; a failure schedules the next try, the slot is freed meanwhile. */
  private async tryKey(qube: string, service: DocumentService): Promise<void> {
    const key = documentKey(qube, service);
    const st = this.keys.get(key);
    if (!st?.desired || !this.current().network.get(qube)?.running || this.disposed) return;
    this.cancelRetryTimer(st);
    // Read at send time: a change planned meanwhile replaces what goes out (coalescing).
    const desired = st.desired;
    const sent = desired.generation;
    const push = st.requested;
    st.inFlight = { generation: sent, push };
    let reply: PushReply;
    try {
      reply = await this.send(qube, desired.doc, sent);
    } catch (err) {
      st.inFlight = undefined;
      if (this.keys.get(key) !== st) return;
      // The agent took the document but its apply outlived the answer deadline: not a failure.
      if (err instanceof RemoteServiceError && err.remoteCode === 'TIMEOUT_APPLIED_LATER') {
        return this.applyingLater(st, sent);
      }
      return this.tryFailed(st, sent, push, toWireError(err));
    }
    st.inFlight = undefined;
    if (this.keys.get(key) !== st) return;
    if (reply.appliedGeneration === sent) return this.acknowledged(st, desired.doc, sent, push, reply);
    if (reply.appliedGeneration > sent) {
      // The qube holds a generation this dom0 never sent it (a lost state dir, a restored
      // backup): it refuses ours as stale, so go above what it holds and send again.
      await this.generations.raiseAbove(reply.appliedGeneration);
      if (st.desired === desired) st.desired = { doc: desired.doc, generation: await this.generations.take(1) };
      const error = toWireError(
        new ApplyFailedError(`${qube} holds generation ${reply.appliedGeneration}, above the ${sent} sent`),
      );
      this.log.warn(`${service} on ${qube}: ${error.message}; sending again`);
      return this.tryFailed(st, sent, push, error, { immediately: true });
    }
    this.tryFailed(
      st,
      sent,
      push,
      toWireError(new ApplyFailedError(`${qube} acknowledged generation ${reply.appliedGeneration} for ${sent}`)),
    );
  }

  private acknowledged(st: KeyState, doc: QubeDocument, sent: number, push: number, reply: PushReply): void {
    const { qube, service } = st;
    const ruleFailures =
      doc.service === FIREWALL_SYNC && reply.failures?.length ? describeRuleFailures(doc.body, reply.failures) : [];
    const attempts = (st.retry?.attempts ?? 0) + 1;
    this.dropRetry(st);
    st.applied = {
      generation: sent,
      at: this.clock.now(),
      ruleFailures,
      ...(reply.localOverride ? { localOverride: [...reply.localOverride] } : {}),
    };
    st.acknowledged = Math.max(st.acknowledged, push);
    st.reportedFailed = Math.max(st.reportedFailed, push);
    if (ruleFailures.length) this.logRuleFailures(qube, sent, ruleFailures);
    this.emit({
      type: 'push-done',
      qube,
      service,
      generation: sent,
      at: this.clock.now(),
      attempts,
      ...(ruleFailures.length ? { ruleFailures } : {}),
    });
  }

  /** The qube took the document and applies it on its own time: not a failure; look again after a while. */
  private applyingLater(st: KeyState, sent: number): void {
    const retry = this.retryOf(st, sent, { code: 'APPLYING', message: `${st.qube} applies generation ${sent} later` });
    retry.applying = true;
    retry.step++;
    this.log.info(`${st.service} on ${st.qube}: generation ${sent} accepted, applied later; checking again`);
    this.scheduleRetry(st);
  }

  private tryFailed(
    st: KeyState,
    sent: number,
    push: number,
    error: WireError,
    opts: { immediately?: boolean } = {},
  ): void {
    const { qube, service } = st;
    if (!this.current().network.get(qube)?.running) {
      // It stopped while the try was on the wire: it pulls at boot and its start pushes it afresh.
      this.dropRetry(st);
      return;
    }
    const retry = this.retryOf(st, sent, error);
    retry.applying = false;
    retry.attempts++;
    retry.step++;
    retry.covered.push(push);
    if (retry.covered.length > this.opts.attempts) retry.covered.splice(0, retry.covered.length - this.opts.attempts);
    const again = opts.immediately && retry.step < this.opts.attempts;
    if (again) this.markDirty(qube, service);
    else this.scheduleRetry(st);
    this.log.warn(
      `${service} on ${qube} (generation ${sent}, attempt ${retry.attempts}): ${error.code}: ${error.message}` +
        (retry.nextAt !== undefined ? `; next try in ${Math.ceil((retry.nextAt - this.clock.now()) / 1000)} s` : ''),
    );
    // Each push request is reported failed once, when its own first tries have all failed.
    const failed = failedFor(retry.covered, this.opts.attempts);
    if (failed > st.reportedFailed) {
      st.reportedFailed = failed;
      this.log.error(
        `${service} on ${qube}: generation ${sent} not applied after ${retry.attempts} attempt(s); still retrying`,
      );
      this.emit({
        type: 'push-failed',
        qube,
        service,
        generation: sent,
        at: this.clock.now(),
        attempts: retry.attempts,
        error,
        ...(retry.nextAt !== undefined ? { nextRetryAt: retry.nextAt } : {}),
      });
    }
  }

  private retryOf(st: KeyState, generation: number, error: WireError): RetryState {
    const at = this.clock.now();
    if (!st.retry) st.retry = { attempts: 0, step: 0, covered: [], generation, error, at, applying: false };
    else Object.assign(st.retry, { generation, error, at });
    return st.retry;
  }

  /**
   * The next try of a key that is not acknowledged, after a capped, jittered backoff; for as long as the
   * qube runs. A key queued meanwhile (a newer document, `qnet push`) goes out at once instead.
   */
  private scheduleRetry(st: KeyState): void {
    const retry = st.retry;
    if (!retry || this.disposed || !this.current().network.get(st.qube)?.running) return;
    this.cancelRetryTimer(st);
    if (this.dirty.get(st.qube)?.has(st.service)) return;
    const delay = backoffDelay(this.opts, retry.step, Math.random());
    retry.nextAt = this.clock.now() + delay;
    retry.timer = setTimeout(() => {
      retry.timer = undefined;
      retry.nextAt = undefined;
      if (this.keys.get(documentKey(st.qube, st.service)) !== st || this.disposed) return;
      this.markDirty(st.qube, st.service);
      this.kick();
      this.notify();
    }, delay);
    retry.timer.unref();
  }

  private cancelRetryTimer(st: KeyState): void {
    if (!st.retry) return;
    clearTimeout(st.retry.timer);
    st.retry.timer = undefined;
    st.retry.nextAt = undefined;
  }

  /** Forget a streak: acknowledged, or the qube stopped (it pulls at boot and is pushed afresh at start). */
  private dropRetry(st: KeyState): void {
    this.cancelRetryTimer(st);
    st.retry = undefined;
  }

  private logRuleFailures(qube: string, generation: number, failures: readonly RuleFailureReport[]): void {
    this.log.warn(`qubes.FirewallSync on ${qube} (generation ${generation}): ${failures.length} rule(s) not installed`);
    for (const f of failures.slice(0, LOGGED_RULE_FAILURES)) {
      this.log.warn(`qubes.FirewallSync on ${qube}: ${ruleFailureLine(f)}`);
    }
  }

  private async send(qube: string, doc: QubeDocument, generation: number): Promise<PushReply> {
    const svc: AnyService = PUSH_SERVICES[doc.service];
    const { callTimeoutMs } = this.opts;
    const call = this.client.call(svc, qube, { ...doc.body, generation }, { timeoutMs: callTimeoutMs });
    // The transport enforces the deadline; the margin only catches one that does not.
    return readReply(await withDeadline(call, callTimeoutMs + DEADLINE_MARGIN_MS, `${svc.name} on ${qube}`));
  }

  private activity(qube: string, service: DocumentService): KeyActivity {
    return {
      running: this.snapshot?.network.get(qube)?.running === true,
      queued: this.dirty.get(qube)?.has(service) === true,
      now: this.clock.now(),
      reportAfter: this.opts.attempts,
    };
  }

  private stateOf(qube: string, service: DocumentService): KeyState {
    const key = documentKey(qube, service);
    let st = this.keys.get(key);
    if (!st) this.keys.set(key, (st = { qube, service, requested: 0, acknowledged: 0, reportedFailed: 0 }));
    return st;
  }

  private current(): NetworkSnapshot {
    if (!this.snapshot) throw new Error('reconciler not started');
    return this.snapshot;
  }

  private setSnapshot(snapshot: NetworkSnapshot): void {
    this.snapshot = snapshot;
    this.depthCache = undefined;
    clearTimeout(this.expiryTimer);
    const next = nextRuleExpiry(snapshot.inventory, snapshot.now);
    if (next === undefined || this.disposed) return;
    // setTimeout holds at most ~24.8 days; a later expiry re-arms when this fires.
    const delay = Math.min(Math.max(0, next - this.clock.now()), 2 ** 31 - 1);
    this.expiryTimer = setTimeout(() => {
      this.replan().catch((err: unknown) => this.log.error(`re-planning at rule expiry failed: ${String(err)}`));
    }, delay);
    this.expiryTimer.unref();
  }

  private emit(event: ReconcilerEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.log.error(`event listener failed: ${String(err)}`);
      }
    }
    this.notify();
  }

  private notify(): void {
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const w of waiting) w();
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    return this.planning.run(fn);
  }
}

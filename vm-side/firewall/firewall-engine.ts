import { inject, injectable } from 'tsyringe';
import { token } from '../../shared/di/token';
import { SerialQueue } from '../../shared/runtime/serial-queue';
import type { ClientFirewall } from '../../services/firewall-sync';
import { Logger } from '../../shared/logging/logger';
import { NftExecutor } from '../executors/nft-executor';
import type { NftCommand } from '../planners/nft-json';
import { Clock } from './clock';
import { ConntrackExecutor } from './conntrack-executor';
import { FirewallNotAppliedError, describeCause } from './firewall-errors';
import { NameCache } from './name-cache';
import {
  EMPTY_INSTALLED,
  FAMILIES,
  type ConntrackSweep,
  type FirewallPlan,
  type InstalledFirewall,
  type ReportedFailure,
} from './planners/firewall-model';
import { FIREWALL_TABLE } from './planners/firewall-names';
import { planBaseTables } from './planners/plan-base-tables';
import {
  collectFailures,
  dsthostNames,
  nextRuleWake,
  planFirewall,
  planTidy,
  type FirewallPlanInput,
} from './planners/plan-firewall';
import { toInstalledFirewall } from './planners/to-installed-firewall';

/** A client whose rules the kernel refused is retried this often (a transient failure heals by itself). */
const FAILED_RETRY_MS = 30_000;

/**
 * How long a plan waits for the `dsthost` lookups it started before it goes
 * ahead without them: a name not answered by then is planned with its
 * fail-closed stand-in (an accept matches nothing, a drop drops every
 * destination) and the rules are widened when the answer comes. A document
 * that needs no lookup never waits.
 */
export const LookupGraceMs = token<number>('LookupGraceMs');
export const DEFAULT_LOOKUP_GRACE_MS = 1000;

const sweepKey = (s: ConntrackSweep) => `${s.family} ${s.source}`;

/**
 * Keeps the `qubes-firewall` tables equal to the last document: plans, applies
 * in one transaction, falls back to dropping a client whose rules the kernel
 * refuses, sweeps conntrack, and wakes up when a rule expires or a name's TTL
 * runs out. Every operation runs one at a time; the conntrack sweep and the
 * removal of superseded chains are queued right behind the operation that
 * caused them, so a caller's answer does not wait for them but the next
 * operation does.
 */
@injectable()
export class FirewallEngine {
  /** What the kernel holds, as far as we know; undefined until read back from the kernel once. */
  private installed: InstalledFirewall | undefined;
  private desired: readonly ClientFirewall[] = [];
  /** `dsthost` lookups in flight, by name; each settles when its answer is in the name cache. */
  private readonly lookups = new Map<string, Promise<void>>();
  /** Lookups and the widening queued after each: what `settled` waits for. */
  private readonly widenings = new Set<Promise<void>>();
  /** Set when an answer arrived after the last plan: the queued widening has something to do. */
  private answersSincePlan = false;
  /** Sweeps of clients planned with a stand-in for a name not answered yet, run once their names are answered. */
  private readonly heldSweeps = new Map<string, ConntrackSweep>();
  private readonly queue = new SerialQueue();
  private cancelWake: (() => void) | undefined;
  private disposed = false;
  /** Set once disposal finished: a lookup that ends after that changes nothing. */
  private stopped = false;
  /** Operations queued that have not started yet. */
  private waiting = 0;
  /** Every operation ever queued: `settled` goes round again while this grows behind it. */
  private queuedTotal = 0;

  constructor(
    @inject(NftExecutor) private readonly nft: NftExecutor,
    @inject(ConntrackExecutor) private readonly conntrack: ConntrackExecutor,
    @inject(NameCache) private readonly names: NameCache,
    @inject(Clock) private readonly clock: Clock,
    @inject(Logger) private readonly log: Logger,
    @inject(LookupGraceMs) private readonly lookupGraceMs: number = DEFAULT_LOOKUP_GRACE_MS,
  ) {}

  /**
   * Creates the tables with their policy-drop forward chain where missing, so
   * a freshly booted or restarted provider forwards nothing from clients until
   * a document is applied. Existing tables and client chains are left alone.
   */
  ensureBaseTables(): Promise<void> {
    return this.serial(async () => {
      const observed = await this.observe();
      const commands = FAMILIES.filter((f) => !observed.base[f]).flatMap((f) => planBaseTables(f));
      if (commands.length > 0) await this.nft.apply({ commands });
      this.installed = { ...observed, base: { ip: true, ip6: true } };
    });
  }

  /** Re-reads what the kernel holds (a restart loses our memory of it) and applies `clients` over it. */
  converge(clients: readonly ClientFirewall[]): Promise<ReportedFailure[]> {
    return this.serial(async () => {
      this.installed = await this.observe();
      return this.applyNow(clients);
    });
  }

  apply(clients: readonly ClientFirewall[]): Promise<ReportedFailure[]> {
    return this.serial(() => this.applyNow(clients));
  }

  /** The wake-up: re-resolve expired names and drop expired rules; only affected clients are rewritten. */
  refresh(): Promise<ReportedFailure[]> {
    return this.serial(() => this.applyNow(this.desired));
  }

  /**
   * Resolves once everything queued so far has run, the work after an answer
   * and the pending lookups included, and whatever that work queued in turn
   * (a wake-up's refresh queues its sweep only when it runs).
   */
  async settled(): Promise<void> {
    for (;;) {
      while (this.widenings.size > 0) await Promise.all([...this.widenings]);
      const queued = this.queuedTotal;
      // Straight on the queue, uncounted: two callers waiting at once must not see each other's waits as work.
      await this.queue.run(async () => undefined);
      if (this.queuedTotal === queued && this.widenings.size === 0) return;
    }
  }

  /** Cancels the pending wake-up and lets queued work finish. The tables stay: no table would mean no filtering. */
  async dispose(): Promise<void> {
    this.disposed = true;
    this.cancelWake?.();
    this.cancelWake = undefined;
    await this.settled();
    this.stopped = true;
  }

  /**
   * Queued behind the current operation and ahead of the next: flows are
   * judged against the rules just installed, and the next plan starts from
   * tidy chains. The sweep goes first: a forbidden flow must not outlive the
   * change longer than needed.
   */
  private afterReply(sweeps: readonly ConntrackSweep[]): void {
    void this.serial(async () => {
      // A macrotask later: the answer's own continuation runs first, not after these spawns (milliseconds each).
      await new Promise((resolve) => setImmediate(resolve));
      await this.sweep(sweeps);
      // In a burst of documents the last one's follow-up tidies for all; superseded gotos are unreachable meanwhile.
      if (this.waiting === 0) await this.tidy();
    }, false);
  }

  private async tidy(): Promise<void> {
    if (!this.installed) return;
    const plan = planTidy(this.installed);
    if (plan.commands.length === 0) return;
    try {
      await this.nft.apply({ commands: plan.commands });
      this.installed = plan.installed;
    } catch (err) {
      // Only unreachable chains remain: memory, not a verdict. The next tidy retries.
      this.log.warn('superseded firewall chains not removed', { error: describeCause(err) });
    }
  }

  private async applyNow(clients: readonly ClientFirewall[]): Promise<ReportedFailure[]> {
    // Plan from what the kernel holds, never from an empty idea of it: a new process (the executable form, a
    // restart) would otherwise append after an old chain's final reject and never remove a departed client.
    if (!this.installed) this.installed = await this.observe();
    const used = new Set(clients.flatMap(dsthostNames));
    this.names.retain(used);
    await this.lookUp(used);
    const now = this.clock.now();
    this.names.prune(now);
    const table = this.names.table();
    this.answersSincePlan = false;
    const input = { clients, names: table, nowMs: now };
    const plan = planFirewall({ ...input, installed: this.installed });
    const sweeps: ConntrackSweep[] = [];
    let retryAt: number | undefined;
    try {
      await this.nft.apply({ commands: plan.commands });
      this.installed = plan.installed;
      sweeps.push(...plan.sweeps);
    } catch (err) {
      this.log.warn('firewall batch refused; retrying client by client', { error: describeCause(err) });
      const refused = await this.recover(plan, input, err, sweeps);
      if (refused) retryAt = now + FAILED_RETRY_MS;
    }
    this.desired = clients;
    this.afterReply(this.holdSweepsOfWaiting(clients, table, sweeps));
    this.armWake([nextRuleWake(this.installed.clients).nextWakeAt, this.names.nextExpiry(), retryAt]);
    return collectFailures(clients, this.installed.clients);
  }

  /**
   * Starts a lookup for every used name that is unknown or expired and not
   * already being looked up, then waits for the lookups of these names at
   * most the grace period. A lookup that ends later queues a widening
   * behind whatever runs then, so a stalled resolver delays only the rules
   * that need its answer, and a newer document never waits for an older
   * one's names.
   */
  private async lookUp(used: ReadonlySet<string>): Promise<void> {
    const due = this.names.due(used, this.clock.now()).filter((n) => !this.lookups.has(n));
    if (due.length > 0) {
      const lookup = this.names.refresh(due, this.clock.now()).finally(() => {
        for (const n of due) if (this.lookups.get(n) === lookup) this.lookups.delete(n);
      });
      for (const n of due) this.lookups.set(n, lookup);
      const widening = lookup
        .then(() => {
          this.answersSincePlan = true;
          return this.serial(() => this.widen());
        })
        .catch((err: unknown) => this.log.error('widening after name lookups failed', { error: describeCause(err) }))
        .finally(() => this.widenings.delete(widening));
      this.widenings.add(widening);
    }
    const waiting = [...used].flatMap((n) => this.lookups.get(n) ?? []);
    if (waiting.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(waiting),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, this.lookupGraceMs))),
    ]);
    clearTimeout(timer);
  }

  /** Answers arrived after the last plan: re-plan the current document; only clients using those names change. */
  private async widen(): Promise<void> {
    if (this.stopped) return;
    // The answers came in time for the plan that was waiting on them; that plan left its tidy to this turn.
    if (!this.answersSincePlan) return this.waiting === 0 ? this.tidy() : undefined;
    await this.applyNow(this.desired);
  }

  /**
   * A client planned with a stand-in for a name nobody has answered yet keeps
   * its established flows until its names are answered: its real rules may
   * well allow them. Every other sweep runs now, and a held one runs as soon
   * as its client waits for no name.
   */
  private holdSweepsOfWaiting(
    clients: readonly ClientFirewall[],
    table: ReturnType<NameCache['table']>,
    sweeps: readonly ConntrackSweep[],
  ): ConntrackSweep[] {
    const waiting = new Set<string>();
    for (const c of clients) {
      if (!dsthostNames(c).some((n) => !table.has(n))) continue;
      waiting.add(`ip ${c.ip}`);
      if (c.ip6 !== undefined) waiting.add(`ip6 ${c.ip6}`);
    }
    for (const s of sweeps) this.heldSweeps.set(sweepKey(s), s);
    const now: ConntrackSweep[] = [];
    for (const [key, s] of this.heldSweeps) {
      if (waiting.has(key)) continue;
      now.push(s);
      this.heldSweeps.delete(key);
    }
    return now;
  }

  /**
   * One transaction failed as a whole: first put every changed client on a
   * drop-only chain (one transaction, so nothing changes opens up), then give
   * each its real rules in a transaction of its own. A client the kernel still
   * refuses stays dropped and is reported.
   */
  private async recover(
    failed: FirewallPlan,
    input: Omit<FirewallPlanInput, 'installed'>,
    cause: unknown,
    sweeps: ConntrackSweep[],
  ): Promise<boolean> {
    const reason = `rules could not be applied (${describeCause(cause, 200)})`;
    const failClosed = new Map(failed.changedClients.map((ip) => [ip, reason]));
    let closed = planFirewall({ ...input, installed: this.installed ?? EMPTY_INSTALLED, failClosed });
    try {
      await this.nft.apply({ commands: closed.commands });
    } catch {
      // Our picture of the kernel may be wrong (a chain removed by hand): read it back and plan from what is there.
      this.installed = await this.observe();
      closed = planFirewall({ ...input, installed: this.installed, failClosed });
      try {
        await this.nft.apply({ commands: closed.commands });
      } catch (err) {
        throw new FirewallNotAppliedError(describeCause(err), { cause: err });
      }
    }
    this.installed = closed.installed;
    sweeps.push(...closed.sweeps);
    let refused = false;
    for (const ip of failed.changedClients) {
      const one = planFirewall({ ...input, installed: this.installed ?? EMPTY_INSTALLED, scope: new Set([ip]) });
      try {
        await this.nft.apply({ commands: one.commands });
        this.installed = one.installed;
        sweeps.push(...one.sweeps);
      } catch (err) {
        refused = true;
        this.log.error('client firewall refused; its traffic stays dropped', { client: ip, error: describeCause(err) });
      }
    }
    return refused;
  }

  private async sweep(sweeps: readonly ConntrackSweep[]): Promise<void> {
    if (sweeps.length === 0) return;
    try {
      const deleted = await this.conntrack.sweep(sweeps);
      if (deleted > 0) this.log.info('conntrack entries removed', { deleted });
    } catch (err) {
      // The rules are in place; old flows surviving is worse than nothing but must not undo them.
      this.log.warn('conntrack sweep failed', { error: describeCause(err) });
    }
  }

  private armWake(wakes: readonly (number | undefined)[]): void {
    this.cancelWake?.();
    this.cancelWake = undefined;
    const candidates = wakes.filter((t): t is number => t !== undefined);
    if (this.disposed || candidates.length === 0) return;
    const at = Math.min(...candidates);
    this.cancelWake = this.clock.schedule(at, () => {
      this.refresh().catch((err: unknown) => this.log.error('firewall refresh failed', { error: describeCause(err) }));
    });
  }

  private async observe(): Promise<InstalledFirewall> {
    const nftables: NftCommand[] = [];
    for (const family of FAMILIES) {
      try {
        nftables.push(...(await this.nft.list(family, FIREWALL_TABLE)).nftables);
      } catch {
        // No such table yet: the first plan creates it.
      }
    }
    return toInstalledFirewall({ nftables });
  }

  /** `counted`: an operation that changes the tables, which the tidy gives way to. */
  private serial<T>(task: () => Promise<T>, counted = true): Promise<T> {
    this.queuedTotal++;
    if (counted) this.waiting++;
    const start = () => {
      if (counted) this.waiting--;
      return task();
    };
    return this.queue.run(start);
  }
}

import { inject, injectable } from 'tsyringe';
import type { CallContext } from '../../shared/contract/call-context';
import type { RequestOf, ResponseOf } from '../../shared/contract/define-service';
import type { ServiceHandler } from '../../shared/contract/service-handler';
import { FirewallSync, FirewallSyncDocument } from '../../services/firewall-sync';
import { fromErrno } from '../../shared/errors/errno-error';
import { Logger } from '../../shared/logging/logger';
import { AnswerDeadlineMs, answerWithin, DEFAULT_ANSWER_DEADLINE_MS } from '../apply/answer-deadline';
import { SerialQueue } from '../../shared/runtime/serial-queue';
import type { FilteringGuard } from '../apply/filtering-guard';
import { requireAdmin } from '../handlers/require-admin';
import { DocumentStore } from '../state/document-store';
import { describeCause } from './firewall-errors';
import { FirewallEngine } from './firewall-engine';
import type { ReportedFailure } from './planners/firewall-model';

type Request = RequestOf<typeof FirewallSync>;
type Response = ResponseOf<typeof FirewallSync>;

const MAX_FAILURES = 4096;
const MAX_MESSAGE = 512;

/**
 * `qubes.FirewallSync` in a network-providing qube. Generations make a
 * replayed or reordered push harmless: anything not newer than the held
 * document is answered with the held generation and changes nothing.
 */
@injectable()
export class FirewallSyncHandler implements ServiceHandler<typeof FirewallSync>, FilteringGuard {
  readonly service = FirewallSync;
  private held: number | undefined;
  /** Whether this process has put the tables and the saved document (or a newer one) in the kernel. */
  private converged = false;
  /** One document at a time; its own queue, not the agent's ApplyLock: no other applier touches qubes-firewall. */
  private readonly queue = new SerialQueue();

  constructor(
    @inject(FirewallEngine) private readonly engine: FirewallEngine,
    @inject(DocumentStore) private readonly store: DocumentStore,
    @inject(Logger) private readonly log: Logger,
    @inject(AnswerDeadlineMs) private readonly deadlineMs: number = DEFAULT_ANSWER_DEADLINE_MS,
  ) {}

  /**
   * At agent start, before serving, and before anything turns forwarding on:
   * tables with a policy-drop forward chain first (fail closed while nothing
   * is known), then the saved document. Once per process.
   */
  converge(): Promise<void> {
    return this.queue.run(() => this.convergeNow());
  }

  ensureFiltering(): Promise<void> {
    return this.converge();
  }

  handle(request: Request, ctx: CallContext): Promise<Response> {
    requireAdmin(ctx);
    const work = this.queue.run(() => this.applyRequest(request));
    return answerWithin(
      work,
      this.deadlineMs,
      { service: this.service.name, generation: request.generation },
      this.log,
    );
  }

  private async applyRequest(request: Request): Promise<Response> {
    // A process that has not converged yet (the executable form, a push racing the start) holds nothing: what
    // it answers must be what the kernel then holds, so it starts from the kernel and the saved document.
    await this.convergeNow(request.generation);
    if (this.held !== undefined && request.generation <= this.held) {
      this.log.info('stale firewall document ignored', { generation: request.generation, held: this.held });
      return { appliedGeneration: this.held, failures: [] };
    }
    // Written while the kernel applies it: the answer waits for the slower of the two (often the fsync), not both.
    // A document the kernel refuses outright is then saved but not held: dom0 may push it again, and a restart
    // converges to it, which is what dom0 asked for. Both settle before anything else runs, so saves never overlap.
    const [applied, saved] = await Promise.allSettled([
      this.engine.apply(request.clients),
      this.store.save(FirewallSync.name, request.generation, request),
    ]);
    if (applied.status === 'rejected') throw applied.reason;
    if (saved.status === 'rejected') {
      // The kernel holds the document: say so, and why it will not survive a restart.
      const what = `${FirewallSync.name} generation ${request.generation} is in force but could not be saved`;
      throw fromErrno(saved.reason, what) ?? saved.reason;
    }
    const failures = applied.value;
    this.held = request.generation;
    return { appliedGeneration: request.generation, failures: toResponseFailures(failures) };
  }

  /**
   * `incoming`: the generation of a document about to be applied. When it is
   * newer than the saved one, the saved one is not applied first (the new
   * plan starts from the kernel all the same); the tables it creates are
   * part of that plan.
   */
  private async convergeNow(incoming?: number): Promise<void> {
    if (this.converged) return;
    const saved = await this.load();
    if (incoming !== undefined && (saved === undefined || incoming > saved.generation)) {
      // Nothing is held until the incoming document is in the kernel.
      this.held = undefined;
      this.converged = true;
      return;
    }
    await this.engine.ensureBaseTables();
    this.converged = true;
    if (!saved) return;
    try {
      const failures = await this.engine.converge(saved.clients);
      if (failures.length > 0) this.log.warn('firewall converged with failures', { failures: failures.length });
    } catch (err) {
      // Not applied means not held: dom0's next push of any generation must be taken, not refused as stale.
      // Going on is safe: the base tables already drop client traffic.
      this.held = undefined;
      this.log.error('saved firewall document could not be applied', { error: describeCause(err) });
    }
  }

  async dispose(): Promise<void> {
    await this.engine.dispose();
  }

  /** The saved document is our own file, but a disk or a hand edit can corrupt it: parse it like any input. */
  private async load(): Promise<FirewallSyncDocument | undefined> {
    const stored = await this.store.load(FirewallSync.name);
    if (!stored) return undefined;
    const parsed = FirewallSyncDocument.safeParse(stored.document);
    if (!parsed.success) {
      this.log.error('saved firewall document is invalid; waiting for dom0', { error: describeCause(parsed.error) });
      return undefined;
    }
    this.held = parsed.data.generation;
    return parsed.data;
  }
}

function toResponseFailures(failures: readonly ReportedFailure[]): Response['failures'] {
  return failures.slice(0, MAX_FAILURES).map((f) => ({ ...f, message: f.message.slice(0, MAX_MESSAGE) }));
}

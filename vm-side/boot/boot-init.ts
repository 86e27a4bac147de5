import { inject, injectable } from 'tsyringe';
import { NetConfigPull, type NetConfigDocument } from '../../services/net-config';
import { QnetError } from '../../shared/errors/qnet-error';
import { Logger } from '../../shared/logging/logger';
import { ServiceClient } from '../../shared/transport/service-client';
import { GenerationGate } from '../apply/generation-gate';
import { NetConfigApplier } from '../apply/net-config-applier';
import { AgentConfig } from '../config/agent-config';
import { DocumentStore } from '../state/document-store';
import { Sleep } from './sleep';

export type BootInitOutcome =
  | { readonly source: 'dom0'; readonly appliedGeneration: number; readonly attempts: number }
  | { readonly source: 'saved'; readonly appliedGeneration: number; readonly error: unknown }
  | { readonly source: 'none'; readonly error: unknown };

/**
 * Boot-time network init: pull this qube's own qubes.NetConfig from dom0
 * (which answers for the qrexec source, never for a name we send) with a
 * deadline per attempt and a few retries, then apply it. When dom0 cannot be
 * reached, the last saved document is applied instead, so the qube still
 * comes up with the network it had.
 */
@injectable()
export class BootInit {
  /** Ends a background pull's retries when the agent stops. */
  private readonly stopping = new AbortController();

  constructor(
    @inject(ServiceClient) private readonly client: ServiceClient,
    @inject(GenerationGate) private readonly gate: GenerationGate,
    @inject(NetConfigApplier) private readonly applier: NetConfigApplier,
    @inject(DocumentStore) private readonly store: DocumentStore,
    @inject(AgentConfig) private readonly config: AgentConfig,
    @inject(Sleep) private readonly sleep: Sleep,
    @inject(Logger) private readonly log: Logger,
  ) {}

  async pull(): Promise<{ doc: NetConfigDocument; attempts: number }> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.config.initAttempts; attempt++) {
      if (this.stopping.signal.aborted) break;
      try {
        const doc = await this.client.call(
          NetConfigPull,
          this.config.dom0Target,
          {},
          {
            timeoutMs: this.config.initTimeoutMs,
          },
        );
        return { doc, attempts: attempt };
      } catch (err) {
        lastError = err;
        const why = err instanceof QnetError ? `${err.code}: ${err.message}` : String(err);
        this.log.warn(`pulling qubes.NetConfig from ${this.config.dom0Target} failed (attempt ${attempt}): ${why}`);
        // A policy refusal will not change by retrying.
        if (err instanceof QnetError && err.code === 'FORBIDDEN') break;
        if (attempt < this.config.initAttempts) {
          await this.sleep(this.config.initRetryDelayMs * attempt, this.stopping.signal);
        }
      }
    }
    throw lastError;
  }

  /**
   * The socket form's start (a restart included): the saved documents are
   * already back in the kernel; now ask dom0 for the current one, as boot
   * init does, since a push may have failed while the agent was down. The
   * generation gate keeps whichever of the two is newer. dom0 unreachable
   * leaves the saved document in force: nothing opens up.
   */
  async pullNewer(): Promise<void> {
    let pulled;
    try {
      pulled = await this.pull();
    } catch (err) {
      if (this.stopping.signal.aborted) return;
      const why = err instanceof QnetError ? `${err.code}: ${err.message}` : String(err);
      this.log.warn(`dom0 unreachable at start (${why}); the saved ${this.applier.service} stays in force`);
      return;
    }
    if (this.stopping.signal.aborted) return;
    const { appliedGeneration } = await this.gate.submit(this.applier, pulled.doc);
    if (appliedGeneration === pulled.doc.generation) {
      this.log.info(`${this.applier.service}: generation ${appliedGeneration} pulled from dom0 and applied`);
    } else {
      this.log.info(
        `${this.applier.service}: dom0 sent generation ${pulled.doc.generation}, a newer one (${appliedGeneration}) is held`,
      );
    }
  }

  dispose(): Promise<void> {
    this.stopping.abort();
    return Promise.resolve();
  }

  async run(): Promise<BootInitOutcome> {
    let pulled;
    try {
      pulled = await this.pull();
    } catch (error) {
      const saved = await this.store.load<NetConfigDocument>(this.applier.service);
      const parsed = saved && this.applier.schema.safeParse(saved.document);
      if (!parsed || !parsed.success) return { source: 'none', error };
      await this.gate.submit(this.applier, parsed.data);
      return { source: 'saved', appliedGeneration: parsed.data.generation, error };
    }
    const { appliedGeneration } = await this.gate.submit(this.applier, pulled.doc);
    return { source: 'dom0', appliedGeneration, attempts: pulled.attempts };
  }
}

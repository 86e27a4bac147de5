import { inject, injectable } from 'tsyringe';
import type { DnsUpdateDocument } from '../../services/dns-update';
import { DocumentStore } from '../state/document-store';
import { DnsOverrideStore, type DnsOverride } from '../state/dns-override-store';
import { ApplyLock } from './apply-lock';
import { DnsUpdateApplier } from './dns-update-applier';

/**
 * `qnet-agent dns-update` run inside the qube: sets or clears the qube's own
 * DNS override and puts the result in the kernel at once. dom0's last
 * document stays saved untouched, so clearing brings it back without a push.
 */
@injectable()
export class LocalDnsOverride {
  constructor(
    @inject(DnsOverrideStore) private readonly overrides: DnsOverrideStore,
    @inject(DocumentStore) private readonly documents: DocumentStore,
    @inject(DnsUpdateApplier) private readonly applier: DnsUpdateApplier,
    @inject(ApplyLock) private readonly lock: ApplyLock,
  ) {}

  /**
   * Saved before it is applied: if the apply fails, the next start or push
   * applies the override, never dom0's servers around it.
   */
  set(upstream: readonly string[], source: DnsOverride['source']): Promise<void> {
    return this.lock.run(async () => {
      await this.overrides.save({ upstream: [...upstream], source, setAt: new Date().toISOString() });
      await this.applier.apply(await this.dom0Document());
    });
  }

  /** Back to dom0's last document (none held: DNS1/DNS2 dropped); returns the servers now in force. */
  clear(): Promise<string[]> {
    return this.lock.run(async () => {
      await this.overrides.clear();
      const doc = await this.dom0Document();
      await this.applier.apply(doc);
      return doc.upstream;
    });
  }

  /** What `set` would change, without changing anything. */
  describeSet(upstream: readonly string[]): Promise<string[]> {
    return this.applier.describeUpstream(upstream);
  }

  /** What `clear` would change. */
  async describeClear(): Promise<string[]> {
    return this.applier.describeUpstream((await this.dom0Document()).upstream);
  }

  private async dom0Document(): Promise<DnsUpdateDocument> {
    const held = await this.documents.load(this.applier.service);
    const parsed = held ? this.applier.schema.safeParse(held.document) : undefined;
    return parsed?.success ? parsed.data : { generation: 0, upstream: [] };
  }
}

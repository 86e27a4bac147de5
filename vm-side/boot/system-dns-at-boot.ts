import { inject, injectable } from 'tsyringe';
import { NetConfigDocument } from '../../services/net-config';
import { Logger } from '../../shared/logging/logger';
import { ApplyLock } from '../apply/apply-lock';
import { DnsUpdateApplier } from '../apply/dns-update-applier';
import { SystemUpstream } from '../dns/system-upstream';
import { DocumentStore } from '../state/document-store';
import { decideSystemDns } from './system-dns-decision';

const NET_CONFIG = 'qubes.NetConfig';

export type SystemDnsOutcome =
  { readonly applied: readonly string[] } | { readonly skipped: string } | { readonly failed: string };

/**
 * A sys-net's DNS1/DNS2 at boot and at every agent start: its own upstream
 * servers, read from its resolv.conf (or systemd-resolved's list when that
 * names only the local stub), as `qnet-agent dns-update --from-system` reads
 * them, without waiting for an uplink event that a qube without
 * NetworkManager never sends. Nothing is saved: the system is read again at
 * the next start, and a document dom0 sends later wins. No IPv4 server, or a
 * file that cannot be read, leaves the virtual addresses dropped (closed).
 */
@injectable()
export class SystemDnsAtBoot {
  constructor(
    @inject(DocumentStore) private readonly store: DocumentStore,
    @inject(SystemUpstream) private readonly system: SystemUpstream,
    @inject(DnsUpdateApplier) private readonly applier: DnsUpdateApplier,
    @inject(ApplyLock) private readonly lock: ApplyLock,
    @inject(Logger) private readonly log: Logger,
  ) {}

  async run(): Promise<SystemDnsOutcome> {
    const outcome = await this.lock
      .run(() => this.runLocked())
      .catch((err: unknown) => ({
        failed: err instanceof Error ? err.message : String(err),
      }));
    if ('applied' in outcome) {
      const servers = outcome.applied.length > 0 ? outcome.applied.join(', ') : 'none: DNS1/DNS2 dropped';
      this.log.info(`upstream DNS from this qube's own configuration: ${servers}`);
    } else if ('failed' in outcome) {
      this.log.warn(`upstream DNS not read from this qube's configuration: ${outcome.failed}`);
    } else {
      this.log.debug(`upstream DNS left to dom0: ${outcome.skipped}`);
    }
    return outcome;
  }

  private async runLocked(): Promise<SystemDnsOutcome> {
    const savedNet = await this.store.load(NET_CONFIG);
    const parsed = savedNet ? NetConfigDocument.safeParse(savedNet.document) : undefined;
    const held = await this.store.load(this.applier.service);
    const decision = decideSystemDns(parsed?.success ? parsed.data : undefined, held?.generation);
    if (!decision.read) return { skipped: decision.reason };
    let upstream: string[];
    try {
      upstream = await this.system.read();
    } catch (err) {
      // Unreadable is not "no change": the chain must not keep servers nobody vouches for any more.
      upstream = [];
      this.log.warn(`reading the upstream DNS servers failed: ${(err as Error).message}`);
    }
    // The generation is only what the applier's schema asks for: this document is never saved.
    await this.applier.apply({ generation: held?.generation ?? 0, upstream });
    return { applied: upstream };
  }
}

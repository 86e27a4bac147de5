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
  /** The servers this object last put in the chain: a re-check applies only a change. */
  private lastApplied: string | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @inject(DocumentStore) private readonly store: DocumentStore,
    @inject(SystemUpstream) private readonly system: SystemUpstream,
    @inject(DnsUpdateApplier) private readonly applier: DnsUpdateApplier,
    @inject(ApplyLock) private readonly lock: ApplyLock,
    @inject(Logger) private readonly log: Logger,
  ) {}

  async run(): Promise<SystemDnsOutcome> {
    const outcome = (await this.attempt(false)) as SystemDnsOutcome;
    this.report(outcome);
    return outcome;
  }

  /**
   * Re-reads the system every `intervalMs` while the agent serves and applies
   * a change: a qube without NetworkManager gets no event when its DHCP lease
   * arrives after the agent started (upstream has a dhclient hook for it).
   * Two small file reads per interval; 0 turns it off.
   */
  watch(intervalMs: number): void {
    this.dispose();
    if (intervalMs <= 0) return;
    let busy = false;
    this.timer = setInterval(() => {
      if (busy) return;
      busy = true;
      void this.recheck().finally(() => (busy = false));
    }, intervalMs);
    // A pending re-check must not keep a stopping agent alive.
    this.timer.unref();
  }

  /** Applies the system's servers when they differ from what this object applied last; undefined when they do not. */
  async recheck(): Promise<SystemDnsOutcome | undefined> {
    const outcome = await this.attempt(true);
    if (outcome !== undefined && !('skipped' in outcome)) this.report(outcome);
    return outcome;
  }

  dispose(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private attempt(onlyChange: boolean): Promise<SystemDnsOutcome | undefined> {
    return this.lock
      .run(() => this.readAndApply(onlyChange))
      .catch((err: unknown) => ({ failed: err instanceof Error ? err.message : String(err) }));
  }

  private report(outcome: SystemDnsOutcome): void {
    if ('applied' in outcome) {
      const servers = outcome.applied.length > 0 ? outcome.applied.join(', ') : 'none: DNS1/DNS2 dropped';
      this.log.info(`upstream DNS from this qube's own configuration: ${servers}`);
    } else if ('failed' in outcome) {
      this.log.warn(`upstream DNS not read from this qube's configuration: ${outcome.failed}`);
    } else {
      this.log.debug(`upstream DNS left to dom0: ${outcome.skipped}`);
    }
  }

  private async readAndApply(onlyChange: boolean): Promise<SystemDnsOutcome | undefined> {
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
    const key = upstream.join(',');
    if (onlyChange && key === this.lastApplied) return undefined;
    // The generation is only what the applier's schema asks for: this document is never saved.
    await this.applier.apply({ generation: held?.generation ?? 0, upstream });
    this.lastApplied = key;
    return { applied: upstream };
  }
}

import { inject, injectable } from 'tsyringe';
import { DnsUpdateDocument } from '../../services/dns-update';
import { NftExecutor } from '../executors/nft-executor';
import { NftTableObserver } from '../observers/nft-table-observer';
import { QUBES_TABLE } from '../planners/base-ruleset';
import { planDnsNat } from '../planners/plan-dns-nat';
import type { NftCommand } from '../planners/nft-json';
import { SystemUpstream } from '../dns/system-upstream';
import { DnsOverrideStore } from '../state/dns-override-store';
import type { DocumentApplier } from './document-applier';

/**
 * qubes.DnsUpdate: the DNS1/DNS2 DNAT chain, replaced in one nftables
 * transaction. The qube's own override, when set, is what goes in the chain
 * whichever path brought the document (a push, the boot convergence): dom0's
 * document is held, not applied, so DNS never slips back around a VPN.
 */
@injectable()
export class DnsUpdateApplier implements DocumentApplier<DnsUpdateDocument> {
  readonly service = 'qubes.DnsUpdate';
  readonly schema = DnsUpdateDocument;

  constructor(
    @inject(NftTableObserver) private readonly tables: NftTableObserver,
    @inject(NftExecutor) private readonly nft: NftExecutor,
    @inject(DnsOverrideStore) private readonly overrides: DnsOverrideStore,
    @inject(SystemUpstream) private readonly system: Pick<SystemUpstream, 'read'>,
  ) {}

  /**
   * The servers of the override in force (none for an unreadable one: closed), or undefined without one.
   * An override set `--from-system` follows the qube's own resolv.conf as it is now, not as it was when
   * it was set: after a reboot onto another network the old servers must not come back.
   */
  async overrideInForce(): Promise<string[] | undefined> {
    const override = await this.overrides.load();
    if (override === undefined) return undefined;
    if (override === 'unreadable') return [];
    if (override.source === 'from-system') return this.system.read().catch(() => []);
    return override.upstream;
  }

  async plan(doc: DnsUpdateDocument): Promise<NftCommand[]> {
    return this.planUpstream((await this.overrideInForce()) ?? doc.upstream);
  }

  private async planUpstream(upstream: readonly string[]): Promise<NftCommand[]> {
    return planDnsNat(upstream, await this.tables.observe('ip', QUBES_TABLE));
  }

  async describePlan(doc: DnsUpdateDocument): Promise<string[]> {
    return describe(await this.plan(doc));
  }

  /** The chain these servers would give, whatever is in force now (`dns-update --dry-run`). */
  async describeUpstream(upstream: readonly string[]): Promise<string[]> {
    return describe(await this.planUpstream(upstream));
  }

  async apply(doc: DnsUpdateDocument): Promise<void> {
    await this.nft.apply({ commands: await this.plan(doc) });
  }
}

const describe = (commands: readonly NftCommand[]) => commands.map((cmd) => `nft ${JSON.stringify(cmd)}`);

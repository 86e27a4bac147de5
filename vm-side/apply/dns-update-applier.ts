import { inject, injectable } from 'tsyringe';
import { DnsUpdateDocument } from '../../services/dns-update';
import { NftExecutor } from '../executors/nft-executor';
import { NftTableObserver } from '../observers/nft-table-observer';
import { QUBES_TABLE } from '../planners/base-ruleset';
import { planDnsNat } from '../planners/plan-dns-nat';
import type { NftCommand } from '../planners/nft-json';
import type { DocumentApplier } from './document-applier';

/** qubes.DnsUpdate: the DNS1/DNS2 DNAT chain, replaced in one nftables transaction. */
@injectable()
export class DnsUpdateApplier implements DocumentApplier<DnsUpdateDocument> {
  readonly service = 'qubes.DnsUpdate';
  readonly schema = DnsUpdateDocument;

  constructor(
    @inject(NftTableObserver) private readonly tables: NftTableObserver,
    @inject(NftExecutor) private readonly nft: NftExecutor,
  ) {}

  async plan(doc: DnsUpdateDocument): Promise<NftCommand[]> {
    return planDnsNat(doc.upstream, await this.tables.observe('ip', QUBES_TABLE));
  }

  async describePlan(doc: DnsUpdateDocument): Promise<string[]> {
    return (await this.plan(doc)).map((cmd) => `nft ${JSON.stringify(cmd)}`);
  }

  async apply(doc: DnsUpdateDocument): Promise<void> {
    await this.nft.apply({ commands: await this.plan(doc) });
  }
}

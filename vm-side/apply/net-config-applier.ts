import { inject, injectable } from 'tsyringe';
import { NetConfigDocument } from '../../services/net-config';
import { Logger } from '../../shared/logging/logger';
import { AgentConfig } from '../config/agent-config';
import { ConntrackPurger } from '../executors/conntrack-purger';
import { IpExecutor } from '../executors/ip-executor';
import { NftExecutor } from '../executors/nft-executor';
import { SysctlExecutor } from '../executors/sysctl-executor';
import { TextFiles } from '../executors/text-files';
import { NetObserver } from '../observers/net-observer';
import { NftTableObserver } from '../observers/nft-table-observer';
import { QUBES_TABLE } from '../planners/base-ruleset';
import {
  describeNetConfigPlan,
  desiredSysctls,
  planNetConfig,
  type NetConfigObserved,
  type NetConfigPlan,
} from '../planners/plan-net-config';
import { isProtectedPath } from '../planners/plan-resolv-conf';
import type { SysctlOp } from '../planners/sysctl-plan';
import type { DocumentApplier } from './document-applier';
import { FilteringGuard } from './filtering-guard';

/** qubes.NetConfig: observe the kernel, plan, apply the plan. */
@injectable()
export class NetConfigApplier implements DocumentApplier<NetConfigDocument> {
  readonly service = 'qubes.NetConfig';
  readonly schema = NetConfigDocument;

  constructor(
    @inject(NetObserver) private readonly net: NetObserver,
    @inject(NftTableObserver) private readonly tables: NftTableObserver,
    @inject(SysctlExecutor) private readonly sysctl: SysctlExecutor,
    @inject(TextFiles) private readonly files: TextFiles,
    @inject(IpExecutor) private readonly ip: IpExecutor,
    @inject(NftExecutor) private readonly nft: NftExecutor,
    @inject(ConntrackPurger) private readonly conntrack: ConntrackPurger,
    @inject(AgentConfig) private readonly config: Pick<AgentConfig, 'resolvConf' | 'protectedFilesDir'>,
    @inject(Logger) private readonly log: Logger,
    @inject(FilteringGuard) private readonly filtering: FilteringGuard,
  ) {}

  async observe(doc: NetConfigDocument, previous?: NetConfigDocument): Promise<NetConfigObserved> {
    // Every qube's tables are observed: the base ruleset is everywhere, not only in providers.
    const [net, ip, ip6, content, listings] = await Promise.all([
      this.net.observe(),
      this.tables.observe('ip', QUBES_TABLE),
      this.tables.observe('ip6', QUBES_TABLE),
      doc.uplink ? this.files.read(this.config.resolvConf) : undefined,
      doc.uplink ? this.files.readAll(this.config.protectedFilesDir) : [],
    ]);
    const sysctl = await this.sysctl.read(desiredSysctls(doc, net, previous).map((op) => op.key));
    return {
      net,
      nft: { ...(ip ? { ip } : {}), ...(ip6 ? { ip6 } : {}) },
      sysctl,
      resolvConf: { content, protected: isProtectedPath(this.config.resolvConf, listings) },
    };
  }

  async plan(doc: NetConfigDocument, previous?: NetConfigDocument): Promise<NetConfigPlan> {
    return planNetConfig(doc, await this.observe(doc, previous), previous);
  }

  async describePlan(doc: NetConfigDocument, previous?: NetConfigDocument): Promise<string[]> {
    return describeNetConfigPlan(await this.plan(doc, previous), this.config.resolvConf);
  }

  async apply(doc: NetConfigDocument, previous?: NetConfigDocument): Promise<void> {
    // Before anything forwards: the client firewall (drop policy, the saved client chains). Upstream Qubes turns
    // forwarding on at boot before its firewall exists; a restored provider here never forwards unfiltered.
    if (doc.provider) await this.filtering.ensureFiltering();
    const plan = await this.plan(doc, previous);
    for (const vif of plan.missingVifs)
      this.log.warn(`${vif} does not exist yet; its link is configured on a later push`);
    // nftables first: a client's antispoof entries exist before its vif comes up.
    await this.nft.apply({ commands: plan.nft });
    // After the sets changed (a departed client's packets are already dropped), before any link comes up.
    await this.conntrack.purge(plan.conntrackPurge);
    const forwarding = plan.sysctl.filter(isForwarding);
    await this.sysctl.apply(plan.sysctl.filter((op) => !isForwarding(op)));
    await this.ip.apply({ ops: plan.ip });
    // Forwarding last: everything that filters and routes client traffic is in place before it flows.
    await this.sysctl.apply(forwarding);
    if (plan.resolvConf !== undefined) await this.files.write(this.config.resolvConf, plan.resolvConf);
    this.log.debug(`qubes.NetConfig generation ${doc.generation} applied`, {
      nft: plan.nft.length,
      sysctl: plan.sysctl.length,
      ip: plan.ip.length,
    });
  }
}

function isForwarding(op: SysctlOp): boolean {
  return op.key === 'net/ipv4/ip_forward' || op.key.endsWith('/forwarding');
}

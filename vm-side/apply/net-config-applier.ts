import { join } from 'node:path';
import { inject, injectable } from 'tsyringe';
import { NetConfigDocument } from '../../services/net-config';
import { Logger } from '../../shared/logging/logger';
import { AgentConfig } from '../config/agent-config';
import { ConntrackPurger } from '../executors/conntrack-purger';
import { IpExecutor } from '../executors/ip-executor';
import { NftExecutor } from '../executors/nft-executor';
import { SysctlExecutor } from '../executors/sysctl-executor';
import { NetworkManagerExecutor } from '../executors/network-manager-executor';
import { ResolvedExecutor } from '../executors/resolved-executor';
import { TextFiles } from '../executors/text-files';
import { NetObserver } from '../observers/net-observer';
import { NftTableObserver } from '../observers/nft-table-observer';
import { QUBES_TABLE } from '../planners/base-ruleset';
import {
  describeNetConfigPlan,
  desiredSysctls,
  planNetConfig,
  effectiveUplink,
  type LocalServices,
  type NetConfigObserved,
  type NetConfigPlan,
} from '../planners/plan-net-config';
import { RESOLVED_INACTIVE } from '../planners/plan-resolved-dns';
import type { NetState } from '../planners/net-state';
import { MAPPED_IP_TABLE } from '../planners/plan-mapped-ip-nat';
import { isProtectedListingName, isProtectedPath } from '../planners/plan-resolv-conf';
import { nmConnectionPath } from '../planners/plan-nm-connection';
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
    @inject(AgentConfig)
    private readonly config: Pick<
      AgentConfig,
      | 'resolvConf'
      | 'protectedFilesDir'
      | 'perVmProtectedFilesDir'
      | 'qubesServiceDir'
      | 'nmConnectionsDir'
      | 'netnsDir'
    >,
    @inject(Logger) private readonly log: Logger,
    @inject(FilteringGuard) private readonly filtering: FilteringGuard,
    @inject(ResolvedExecutor) private readonly resolved: ResolvedExecutor,
    @inject(NetworkManagerExecutor) private readonly networkManager: NetworkManagerExecutor,
  ) {}

  /** qsvc: a service is on when qubes-sysinit made its file. */
  private async localServices(): Promise<LocalServices> {
    const on = (name: string) => this.files.exists(join(this.config.qubesServiceDir, name));
    const [disableDefaultRoute, disableDnsServer, networkManager] = await Promise.all([
      on('disable-default-route'),
      on('disable-dns-server'),
      on('network-manager'),
    ]);
    return { disableDefaultRoute, disableDnsServer, networkManager };
  }

  /** The uplink's DNS and NetworkManager state, which depend on the interface name the kernel gave it. */
  private async observeUplinkExtras(doc: NetConfigDocument, net: NetState, services: LocalServices) {
    const link = doc.uplink && net.links.find((l) => l.mac === doc.uplink?.mac);
    if (!doc.uplink || !link) return {};
    const uplink = effectiveUplink(doc.uplink, services);
    // The profile is read in either mode: one qnet wrote earlier is removed when the service goes off.
    const [profile, nmcli] = await Promise.all([
      this.files.read(nmConnectionPath(this.config.nmConnectionsDir, link.name)),
      uplink.networkManager ? this.networkManager.available() : false,
    ]);
    const networkManager = {
      nmcli,
      connectionsDir: this.config.nmConnectionsDir,
      ...(profile !== undefined ? { profile } : {}),
    };
    if (nmcli) return { networkManager };
    return { networkManager, resolved: await this.resolved.observe(link.name).catch(() => RESOLVED_INACTIVE) };
  }

  async observe(doc: NetConfigDocument, previous?: NetConfigDocument): Promise<NetConfigObserved> {
    // Every qube's tables are observed: the base ruleset is everywhere, not only in providers.
    const [net, ip, ip6, mappedIp, content, listings, services] = await Promise.all([
      this.net.observe(),
      this.tables.observe('ip', QUBES_TABLE),
      this.tables.observe('ip6', QUBES_TABLE),
      this.tables.observe('netdev', MAPPED_IP_TABLE),
      doc.uplink ? this.files.read(this.config.resolvConf) : undefined,
      doc.uplink ? this.protectedListings() : [],
      this.localServices(),
    ]);
    const [sysctl, extras, upstreamNatVifs] = await Promise.all([
      this.sysctl.read(desiredSysctls(doc, net, previous).map((op) => op.key)),
      this.observeUplinkExtras(doc, net, services),
      this.upstreamNatVifs(doc),
    ]);
    return {
      net,
      nft: { ...(ip ? { ip } : {}), ...(ip6 ? { ip6 } : {}), ...(mappedIp ? { mappedIp } : {}) },
      sysctl,
      resolvConf: { content, protected: isProtectedPath(this.config.resolvConf, listings) },
      services,
      ...extras,
      upstreamNatVifs,
    };
  }

  /** Clients with a fake address whose vif upstream's vif-qubes-nat.sh already put behind its `VIF-nat` namespace. */
  private async upstreamNatVifs(doc: NetConfigDocument): Promise<string[]> {
    const mapped = (doc.provider?.clients ?? []).filter((c) => c.visibleIp !== undefined && c.visibleIp !== c.ip);
    const found = await Promise.all(
      mapped.map(async (c) => ((await this.files.exists(join(this.config.netnsDir, `${c.vif}-nat`))) ? c.vif : '')),
    );
    return found.filter(Boolean);
  }

  /** Both of Qubes's lists: the template's and the qube's own (is_protected_file). */
  private async protectedListings(): Promise<string[]> {
    const { protectedFilesDir, perVmProtectedFilesDir } = this.config;
    const lists = await Promise.all(
      [protectedFilesDir, perVmProtectedFilesDir].map((dir) => this.files.readAll(dir, isProtectedListingName)),
    );
    return lists.flat();
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
    if (plan.resolved) await this.resolved.apply(plan.resolved);
    if (plan.nmConnection) await this.networkManager.apply(plan.nmConnection);
    if (plan.nmConnectionRemove) await this.networkManager.remove(plan.nmConnectionRemove);
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

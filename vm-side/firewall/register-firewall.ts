import { Lifecycle, type DependencyContainer } from 'tsyringe';
import { ServiceHandler } from '../../shared/contract/service-handler';
import { AnswerDeadlineMs, DEFAULT_ANSWER_DEADLINE_MS } from '../apply/answer-deadline';
import { FilteringGuard } from '../apply/filtering-guard';
import { Clock, SystemClock } from './clock';
import { ConntrackExecutor } from './conntrack-executor';
import { ConntrackToolExecutor } from './conntrack-tool-executor';
import { DnsHostResolver } from './dns-host-resolver';
import { DEFAULT_LOOKUP_GRACE_MS, FirewallEngine, LookupGraceMs } from './firewall-engine';
import { FirewallSyncHandler } from './firewall-sync-handler';
import { HostResolver, HostResolverOptions } from './host-resolver';
import { DEFAULT_DSTHOST_GRACE_MS, DsthostGraceMs, NameCache } from './name-cache';

/**
 * Wires `qubes.FirewallSync` into the agent's container. Relies on the root's
 * CommandRunner, NftExecutor, Logger, DocumentStore and TextFiles. The seams (Clock,
 * HostResolver and its options, ConntrackExecutor) get real defaults unless
 * the root registered its own first (the simulator points the resolver at its
 * own DNS server). The agent resolves `FirewallSyncHandler` and awaits
 * `converge()` before it serves calls; the NetConfig applier reaches the same
 * convergence through `FilteringGuard` before it turns forwarding on.
 */
export function registerFirewall(container: DependencyContainer): void {
  const singleton = { lifecycle: Lifecycle.Singleton } as const;
  if (!container.isRegistered(Clock, true)) container.register(Clock, { useValue: new SystemClock() });
  if (!container.isRegistered(HostResolverOptions, true)) container.register(HostResolverOptions, { useValue: {} });
  if (!container.isRegistered(HostResolver, true))
    container.register(HostResolver, { useClass: DnsHostResolver }, singleton);
  if (!container.isRegistered(ConntrackExecutor, true)) {
    container.register(ConntrackExecutor, { useClass: ConntrackToolExecutor }, singleton);
  }
  if (!container.isRegistered(AnswerDeadlineMs, true))
    container.register(AnswerDeadlineMs, { useValue: DEFAULT_ANSWER_DEADLINE_MS });
  if (!container.isRegistered(LookupGraceMs, true))
    container.register(LookupGraceMs, { useValue: DEFAULT_LOOKUP_GRACE_MS });
  if (!container.isRegistered(DsthostGraceMs, true))
    container.register(DsthostGraceMs, { useValue: DEFAULT_DSTHOST_GRACE_MS });
  container.register(NameCache, { useClass: NameCache }, singleton);
  container.register(FirewallEngine, { useClass: FirewallEngine }, singleton);
  container.register(FirewallSyncHandler, { useClass: FirewallSyncHandler }, singleton);
  container.register(ServiceHandler, { useToken: FirewallSyncHandler });
  // The NetConfig applier asks for the client filtering before it turns forwarding on.
  container.register(FilteringGuard, { useToken: FirewallSyncHandler });
}

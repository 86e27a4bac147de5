#!/usr/bin/env node
import 'reflect-metadata';
import { join } from 'node:path';
import { container as rootContainer, Lifecycle, type DependencyContainer } from 'tsyringe';
import { AGENT_SERVICES } from '../services/index';
import { processIo, runCommandTable, type CliCommand, type CliIo } from '../shared/cli/cli';
import { ServiceHandler } from '../shared/contract/service-handler';
import { createLogger, Logger, logOptionsFromEnv } from '../shared/logging/logger';
import { ServiceDispatcher } from '../shared/runtime/dispatcher';
import { PingHandler, ServedServices } from '../shared/runtime/ping-handler';
import { DEFAULT_SOCKET_SERVER_OPTIONS, SocketServer, SocketServerOptions } from '../shared/runtime/socket-server';
import { DEFAULT_QREXEC_BINARIES, QrexecBinaries } from '../shared/transport/qrexec-binaries';
import { QrexecClientVmTransport } from '../shared/transport/qrexec-client-vm-transport';
import { RouterSocketPath, RouterTransport } from '../shared/transport/router-transport';
import { ServiceClient } from '../shared/transport/service-client';
import { Transport } from '../shared/transport/transport';
import { AnswerDeadlineMs } from './apply/answer-deadline';
import { ApplyLock } from './apply/apply-lock';
import { SerialQueue } from '../shared/runtime/serial-queue';
import { DocumentApplier } from './apply/document-applier';
import { DnsUpdateApplier } from './apply/dns-update-applier';
import { LocalDnsOverride } from './apply/local-dns-override';
import { GenerationGate } from './apply/generation-gate';
import { NetConfigApplier } from './apply/net-config-applier';
import { BootInit } from './boot/boot-init';
import { Converger } from './boot/converge';
import { realSleep, Sleep } from './boot/sleep';
import type { AgentRoot } from './commands/agent-root';
import { runDnsUpdateCommand } from './commands/dns-update-command';
import { runInitCommand } from './commands/init-command';
import { runInstallCommand } from './commands/install-command';
import { runServeCommand } from './commands/serve-command';
import { runServiceCommand } from './commands/service-command';
import { agentConfigFromEnv, AgentConfig } from './config/agent-config';
import { SystemUpstream } from './dns/system-upstream';
import { ChildProcessCommandRunner, CommandRunner } from '../shared/exec/command-runner';
import { ConntrackPurger, ConntrackToolPurger } from './executors/conntrack-purger';
import { IpExecutor } from './executors/ip-executor';
import { IprouteIpExecutor } from './executors/iproute-ip-executor';
import { NFT_BATCH_SUBDIR, NftBatchDir, NftBinary, NftExecutor, NftJsonExecutor } from './executors/nft-executor';
import { ProcSysctlExecutor } from './executors/proc-sysctl-executor';
import { SysctlExecutor } from './executors/sysctl-executor';
import { NetworkManagerExecutor, NmcliNetworkManagerExecutor } from './executors/network-manager-executor';
import { ResolvectlExecutor, ResolvedExecutor } from './executors/resolved-executor';
import { NodeTextFiles, TextFiles } from './executors/text-files';
import { FirewallSyncHandler } from './firewall/firewall-sync-handler';
import { HostResolverOptions } from './firewall/host-resolver';
import { SystemDnsAtBoot } from './boot/system-dns-at-boot';
import { DsthostGraceMs } from './firewall/name-cache';
import { registerFirewall } from './firewall/register-firewall';
import { FirewallHooks } from './firewall-hooks/firewall-hooks';
import { FsHookScanner } from './firewall-hooks/fs-hook-scanner';
import { HookScanner } from './firewall-hooks/hook-scanner';
import { HookScriptRunner } from './firewall-hooks/hook-script-runner';
import { ProcessGroupScriptRunner } from './firewall-hooks/process-group-script-runner';
import { DnsUpdateHandler } from './handlers/dns-update-handler';
import { NetConfigHandler } from './handlers/net-config-handler';
import { IpJsonNetObserver, NetObserver } from './observers/net-observer';
import { NftJsonTableObserver, NftTableObserver } from './observers/nft-table-observer';
import { DocumentStore } from './state/document-store';
import { FileDocumentStore } from './state/file-document-store';
import { DnsOverrideStore } from './state/dns-override-store';
import { FileDnsOverrideStore } from './state/file-dns-override-store';

/** Kernel and transport seams a caller (the simulator, a smoke test) may replace. */
export interface AgentSeams {
  readonly runner?: CommandRunner;
  readonly sysctl?: SysctlExecutor;
  readonly transport?: Transport;
  readonly logger?: Logger;
  readonly sleep?: Sleep;
}

const singleton = { lifecycle: Lifecycle.Singleton } as const;

/** The one place that names the agent's concrete classes. */
export function buildAgentContainer(
  config: AgentConfig,
  env: NodeJS.ProcessEnv,
  seams: AgentSeams = {},
): DependencyContainer {
  const c = rootContainer.createChildContainer();
  c.register(AgentConfig, { useValue: config });
  c.register(AnswerDeadlineMs, { useValue: config.answerDeadlineMs });
  c.register(Logger, { useValue: seams.logger ?? createLogger(logOptionsFromEnv(env, 'qnet-agent')) });
  c.register(Sleep, { useValue: seams.sleep ?? realSleep });

  c.register(CommandRunner, { useValue: seams.runner ?? new ChildProcessCommandRunner() });
  c.register(NftBinary, { useValue: config.nftBinary });
  c.register(NftBatchDir, { useValue: join(config.runDir, NFT_BATCH_SUBDIR) });
  c.register(NftExecutor, { useClass: NftJsonExecutor }, singleton);
  c.register(IpExecutor, { useClass: IprouteIpExecutor }, singleton);
  c.register(ConntrackPurger, { useClass: ConntrackToolPurger }, singleton);
  if (seams.sysctl) c.register(SysctlExecutor, { useValue: seams.sysctl });
  else c.register(SysctlExecutor, { useClass: ProcSysctlExecutor }, singleton);
  c.register(TextFiles, { useClass: NodeTextFiles }, singleton);
  c.register(ResolvedExecutor, { useClass: ResolvectlExecutor }, singleton);
  c.register(NetworkManagerExecutor, { useClass: NmcliNetworkManagerExecutor }, singleton);
  c.register(NetObserver, { useClass: IpJsonNetObserver }, singleton);
  c.register(NftTableObserver, { useClass: NftJsonTableObserver }, singleton);

  c.register(DocumentStore, { useClass: FileDocumentStore }, singleton);
  c.register(ApplyLock, { useValue: new SerialQueue() });
  c.register(GenerationGate, { useClass: GenerationGate }, singleton);
  c.register(NetConfigApplier, { useClass: NetConfigApplier }, singleton);
  c.register(DnsOverrideStore, { useClass: FileDnsOverrideStore }, singleton);
  c.register(DnsUpdateApplier, { useClass: DnsUpdateApplier }, singleton);
  c.register(LocalDnsOverride, { useClass: LocalDnsOverride }, singleton);
  // Converge order: the provider ruleset (NetConfig) before the DNS chain inside it.
  c.register(DocumentApplier, { useToken: NetConfigApplier });
  c.register(DocumentApplier, { useToken: DnsUpdateApplier });
  c.register(Converger, { useClass: Converger }, singleton);
  c.register(SystemUpstream, { useClass: SystemUpstream }, singleton);

  if (seams.transport) {
    c.register(Transport, { useValue: seams.transport });
  } else if (env.QNET_ROUTER_SOCKET) {
    // Simulation: the router stands in for qrexec-daemon and knows us by this socket.
    c.register(RouterSocketPath, { useValue: env.QNET_ROUTER_SOCKET });
    c.register(Transport, { useClass: RouterTransport }, singleton);
  } else {
    c.register(QrexecBinaries, {
      useValue: { ...DEFAULT_QREXEC_BINARIES, clientVm: env.QNET_QREXEC_CLIENT_VM || DEFAULT_QREXEC_BINARIES.clientVm },
    });
    c.register(Transport, { useClass: QrexecClientVmTransport }, singleton);
  }
  c.register(ServiceClient, { useClass: ServiceClient }, singleton);
  c.register(BootInit, { useClass: BootInit }, singleton);
  // A singleton, so the container's disposal stops its re-checks.
  c.register(SystemDnsAtBoot, { useClass: SystemDnsAtBoot }, singleton);

  c.register(ServedServices, { useValue: [...AGENT_SERVICES.keys()].sort() });
  c.register(ServiceHandler, { useClass: NetConfigHandler });
  c.register(ServiceHandler, { useClass: DnsUpdateHandler });
  c.register(ServiceHandler, { useClass: PingHandler });
  // dsthost names resolve through this qube's own DNS (the resolv.conf the agent manages).
  c.register(HostResolverOptions, { useValue: { resolvConf: config.resolvConf } });
  c.register(DsthostGraceMs, { useValue: config.dsthostGraceMs });
  registerFirewall(c);
  // The user's qubes-firewall scripts; `serve` runs them once its tables exist.
  c.register(HookScanner, { useClass: FsHookScanner }, singleton);
  c.register(HookScriptRunner, { useClass: ProcessGroupScriptRunner }, singleton);
  c.register(FirewallHooks, { useClass: FirewallHooks }, singleton);

  c.register(SocketServerOptions, { useValue: DEFAULT_SOCKET_SERVER_OPTIONS });
  c.register(ServiceDispatcher, { useClass: ServiceDispatcher }, singleton);
  c.register(SocketServer, { useClass: SocketServer }, singleton);
  return c;
}

export const agentRoot = (seams: AgentSeams = {}): AgentRoot => ({
  config: (env, overrides) => agentConfigFromEnv(env, overrides),
  build: (config, env) => buildAgentContainer(config, env, seams),
  convergeExtras: (c) => c.resolve(FirewallSyncHandler).converge(),
});

type Runner = (argv: string[], io: CliIo, root: AgentRoot) => Promise<number>;
const command = (name: string, summary: string, run: Runner, root: AgentRoot): CliCommand => ({
  name,
  summary,
  load: async () => ({ run: (argv, io) => run(argv, io, root) }),
});

export function agentCommands(root: AgentRoot = agentRoot()): CliCommand[] {
  return [
    command('service', 'serve one qrexec call in the executable form (SERVICE)', runServiceCommand, root),
    command('serve', 'converge saved state, then serve every call on the agent socket', runServeCommand, root),
    command('init', "boot: pull this qube's qubes.NetConfig from dom0 and apply it", runInitCommand, root),
    command(
      'dns-update',
      'point DNS1/DNS2 at the upstream servers (--from-system for the NM hook)',
      runDnsUpdateCommand,
      root,
    ),
    command(
      'install',
      'lay units, qrexec entries and hooks into a root directory (--root DIR)',
      runInstallCommand,
      root,
    ),
  ];
}

if (require.main === module) {
  runCommandTable('qnet-agent', agentCommands(), process.argv.slice(2), processIo()).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`qnet-agent: INTERNAL: ${String(err)}\n`);
      process.exitCode = 70;
    },
  );
}

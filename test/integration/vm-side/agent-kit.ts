// Builds the agent's appliers around real `ip`, `nft` and `sysctl` running
// inside one throw-away namespace, for the integration tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../shared/logging/logger';
import { DnsUpdateApplier } from '../../../vm-side/apply/dns-update-applier';
import { NetConfigApplier } from '../../../vm-side/apply/net-config-applier';
import { agentConfigFromEnv, type AgentConfig } from '../../../vm-side/config/agent-config';
import { ChildProcessCommandRunner } from '../../../shared/exec/command-runner';
import { ConntrackToolPurger } from '../../../vm-side/executors/conntrack-purger';
import { CommandSysctlExecutor } from '../../../vm-side/executors/command-sysctl-executor';
import { IprouteIpExecutor } from '../../../vm-side/executors/iproute-ip-executor';
import { NetnsCommandRunner } from '../../../vm-side/executors/netns-command-runner';
import { NftJsonExecutor } from '../../../vm-side/executors/nft-executor';
import { NmcliNetworkManagerExecutor } from '../../../vm-side/executors/network-manager-executor';
import { ResolvectlExecutor } from '../../../vm-side/executors/resolved-executor';
import { SystemUpstream } from '../../../vm-side/dns/system-upstream';
import { NodeTextFiles } from '../../../vm-side/executors/text-files';
import { IpJsonNetObserver } from '../../../vm-side/observers/net-observer';
import { NftJsonTableObserver } from '../../../vm-side/observers/nft-table-observer';
import { FileDnsOverrideStore } from '../../../vm-side/state/file-dns-override-store';
import type { Netns } from '../../helpers/netns';

export interface AgentKit {
  readonly config: AgentConfig;
  readonly nft: NftJsonExecutor;
  readonly netConfig: NetConfigApplier;
  readonly dns: DnsUpdateApplier;
  dispose(): void;
}

/** Everything on the qube's own disk lives under a temp dir; resolvectl and nmcli are off unless a test sets them. */
export function agentKit(ns: Netns, overrides: Partial<AgentConfig> = {}): AgentKit {
  const dir = mkdtempSync(join(tmpdir(), 'qnet-agent-it-'));
  const config = agentConfigFromEnv(
    {},
    {
      stateDir: join(dir, 'state'),
      runDir: join(dir, 'run'),
      resolvConf: join(dir, 'resolv.conf'),
      protectedFilesDir: join(dir, 'protected-files.d'),
      perVmProtectedFilesDir: join(dir, 'rw-protected-files.d'),
      qubesServiceDir: join(dir, 'qubes-service'),
      nmConnectionsDir: join(dir, 'system-connections'),
      netnsDir: join(dir, 'netns'),
      resolvectlBinary: '',
      systemctlBinary: '',
      nmcliBinary: '',
      ...overrides,
    },
  );
  const runner = new NetnsCommandRunner(new ChildProcessCommandRunner(), ns.name);
  const nft = new NftJsonExecutor(runner, 'nft');
  const tables = new NftJsonTableObserver(nft);
  const netConfig = new NetConfigApplier(
    new IpJsonNetObserver(runner, config),
    tables,
    new CommandSysctlExecutor(runner, 'sysctl'),
    new NodeTextFiles(),
    new IprouteIpExecutor(runner, config),
    nft,
    new ConntrackToolPurger(runner, config),
    config,
    silentLogger,
    // These tests look at NetConfig alone; the client firewall's ordering is proven in firewall/boot-window.
    { ensureFiltering: async () => undefined },
    new ResolvectlExecutor(runner, config),
    new NmcliNetworkManagerExecutor(runner, new NodeTextFiles(), config, silentLogger),
  );
  return {
    config,
    nft,
    netConfig,
    dns: new DnsUpdateApplier(
      tables,
      nft,
      new FileDnsOverrideStore(config, silentLogger),
      new SystemUpstream(new NodeTextFiles(), config),
    ),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseCli, writeLine, UsageError, type CliIo } from '../../shared/cli/cli';
import { Logger } from '../../shared/logging/logger';
import { runSocketService } from '../../shared/runtime/service-commands';
import { BootInit } from '../boot/boot-init';
import { Converger } from '../boot/converge';
import { SystemDnsAtBoot } from '../boot/system-dns-at-boot';
import { agentSocketPath } from '../config/agent-config';
import { FirewallHooks } from '../firewall-hooks/firewall-hooks';
import { PATH_FLAGS, pathOverrides, type AgentRoot } from './agent-root';

const HELP = `usage: qnet-agent serve [--socket PATH] [--state-dir DIR] [--run-dir DIR]

The socket form: one long-running agent serves every qrexec call on PATH
(default RUN_DIR/agent.sock). Before it serves, every saved document is
re-applied (the client firewall before forwarding), so the kernel holds what
this qube last applied, and a qube providing network without a netvm points
DNS1/DNS2 at the servers of its own resolv.conf (read again every
QNET_SYSTEM_DNS_POLL_MS, default 5000, while it serves); then, while it
serves, it asks dom0 for its current qubes.NetConfig as init does and applies
it when it is newer. Where the qubes-firewall service is on, it then runs the
user's firewall scripts once (/etc/qubes/qubes-firewall.d/*,
/rw/config/qubes-firewall.d/*, /rw/config/qubes-firewall-user-script;
QNET_HOOKS_ROOT prefixes them, each gets QNET_HOOK_TIMEOUT_MS). SIGTERM stops
it and never removes a firewall table.`;

export async function runServeCommand(argv: string[], io: CliIo, root: AgentRoot): Promise<number> {
  const { values, positionals } = parseCli(argv, { ...PATH_FLAGS, socket: { type: 'string' } });
  if (values.help) {
    writeLine(io.stdout, HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const config = root.config(io.env, pathOverrides(values));
  const container = root.build(config, io.env);
  const socket = values.socket ?? agentSocketPath(config);
  await mkdir(dirname(socket), { recursive: true, mode: 0o755 });
  return runSocketService(container, socket, async () => {
    const result = await container.resolve(Converger).converge();
    await root.convergeExtras(container);
    const log = container.resolve(Logger);
    log.info('converged', { applied: result.applied, failed: result.failed });
    // A sys-net reads its own upstream DNS servers before it serves (a local read; dom0 has none for it).
    const systemDns = container.resolve(SystemDnsAtBoot);
    await systemDns.run();
    systemDns.watch(config.systemDnsPollMs);
    // Not awaited either: the tables and client chains are in force, so serving need not wait for a slow script.
    container
      .resolve(FirewallHooks)
      .runWhenTablesExist()
      .catch((err: unknown) => log.error(`running the firewall hooks failed: ${String(err)}`));
    // Not awaited: pushes are served meanwhile, and the generation gate orders the pull against them.
    container
      .resolve(BootInit)
      .pullNewer()
      .catch((err: unknown) => log.error(`applying the document pulled from dom0 failed: ${String(err)}`));
  });
}

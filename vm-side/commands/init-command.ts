import { parseCli, writeLine, UsageError, type CliIo } from '../../shared/cli/cli';
import { QnetError } from '../../shared/errors/qnet-error';
import { exitCodeFor } from '../../shared/errors/codes';
import { NetConfigApplier } from '../apply/net-config-applier';
import { BootInit } from '../boot/boot-init';
import { SystemDnsAtBoot } from '../boot/system-dns-at-boot';
import { PATH_FLAGS, pathOverrides, type AgentRoot } from './agent-root';

const HELP = `usage: qnet-agent init [--dry-run] [--state-dir DIR] [--run-dir DIR]

Boot-time network init: pulls this qube's own qubes.NetConfig from dom0
(QNET_DOM0_TARGET, default @adminvm; QNET_INIT_TIMEOUT_MS per attempt,
QNET_INIT_ATTEMPTS attempts) and applies it. When dom0 cannot be reached the
last saved document is applied and the exit code says what failed. A qube
providing network without a netvm then points DNS1/DNS2 at the servers of its
own resolv.conf (or systemd-resolved's), none meaning DNS stays dropped.
--dry-run pulls and prints the plan without changing anything.`;

const describe = (err: unknown) => (err instanceof QnetError ? `${err.code}: ${err.message}` : String(err));
const exitFor = (err: unknown) => (err instanceof QnetError ? exitCodeFor(err.code) : exitCodeFor('INTERNAL'));

export async function runInitCommand(argv: string[], io: CliIo, root: AgentRoot): Promise<number> {
  const { values, positionals } = parseCli(argv, { ...PATH_FLAGS, 'dry-run': { type: 'boolean' } });
  if (values.help) {
    writeLine(io.stdout, HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const container = root.build(root.config(io.env, pathOverrides(values)), io.env);
  try {
    const init = container.resolve(BootInit);
    if (values['dry-run']) {
      const { doc } = await init.pull();
      for (const line of await container.resolve(NetConfigApplier).describePlan(doc)) writeLine(io.stdout, line);
      return 0;
    }
    const outcome = await init.run();
    // With its network in place, a sys-net points DNS1/DNS2 at its own upstream servers (as upstream's boot does).
    if (outcome.source !== 'none') await container.resolve(SystemDnsAtBoot).run();
    if (outcome.source === 'dom0') {
      writeLine(io.stderr, `qnet-agent init: generation ${outcome.appliedGeneration} applied`);
      return 0;
    }
    if (outcome.source === 'saved') {
      writeLine(
        io.stderr,
        `qnet-agent init: dom0 unreachable (${describe(outcome.error)}); saved generation ${outcome.appliedGeneration} applied`,
      );
    } else {
      writeLine(io.stderr, `qnet-agent init: dom0 unreachable and nothing saved: ${describe(outcome.error)}`);
    }
    return exitFor(outcome.error);
  } finally {
    await container.dispose();
  }
}

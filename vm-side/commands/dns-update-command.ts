import { parseCli, writeLine, UsageError, type CliIo } from '../../shared/cli/cli';
import { DnsUpdateDocument } from '../../services/dns-update';
import { describeIssue } from '../../shared/errors/describe-issue';
import { LocalDnsOverride } from '../apply/local-dns-override';
import { SystemUpstream } from '../dns/system-upstream';
import { PATH_FLAGS, pathOverrides, type AgentRoot } from './agent-root';

const HELP = `usage: qnet-agent dns-update (--from-system | --upstream IP[,IP...] | --clear)
                            [--dry-run] [--state-dir DIR] [--run-dir DIR]

Points DNS1/DNS2 at DNS servers this qube chose itself, in one nftables
transaction, and keeps them: later qubes.DnsUpdate pushes from dom0 and agent
restarts leave them in force (a VPN qube's DNS never slips back around the
tunnel) until --clear, which puts dom0's last pushed servers back at once.
--from-system reads them from QNET_RESOLV_CONF (or from systemd-resolved when
that names only a local stub); it is what the NetworkManager dispatcher hook
runs when the uplink changes. No IPv4 server means queries to DNS1/DNS2 are
dropped.`;

const describeServers = (upstream: readonly string[]) =>
  upstream.length ? upstream.join(', ') : '(none: DNS dropped)';

export async function runDnsUpdateCommand(argv: string[], io: CliIo, root: AgentRoot): Promise<number> {
  const { values, positionals } = parseCli(argv, {
    ...PATH_FLAGS,
    'from-system': { type: 'boolean' },
    upstream: { type: 'string' },
    clear: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
  });
  if (values.help) {
    writeLine(io.stdout, HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const modes = [Boolean(values['from-system']), values.upstream !== undefined, Boolean(values.clear)];
  if (modes.filter(Boolean).length !== 1)
    throw new UsageError('give exactly one of --from-system, --upstream and --clear');
  const container = root.build(root.config(io.env, pathOverrides(values)), io.env);
  try {
    const override = container.resolve(LocalDnsOverride);
    if (values.clear) {
      if (values['dry-run']) {
        for (const line of await override.describeClear()) writeLine(io.stdout, line);
        return 0;
      }
      const upstream = await override.clear();
      writeLine(io.stderr, `qnet-agent dns-update: override cleared; dom0's upstream ${describeServers(upstream)}`);
      return 0;
    }
    const upstream =
      values.upstream !== undefined
        ? values.upstream.split(',').filter(Boolean)
        : await container.resolve(SystemUpstream).read();
    const parsed = DnsUpdateDocument.shape.upstream.safeParse(upstream);
    if (!parsed.success) throw new UsageError(`bad upstream list: ${describeIssue(parsed.error.issues[0])}`);
    if (values['dry-run']) {
      for (const line of await override.describeSet(parsed.data)) writeLine(io.stdout, line);
      return 0;
    }
    await override.set(parsed.data, values.upstream !== undefined ? 'upstream' : 'from-system');
    writeLine(io.stderr, `qnet-agent dns-update: local override ${describeServers(parsed.data)}`);
    return 0;
  } finally {
    await container.dispose();
  }
}

import { parseCli, writeLine, UsageError, type CliIo } from '../../shared/cli/cli';
import { DnsUpdateDocument } from '../../services/dns-update';
import { describeIssue } from '../../shared/errors/describe-issue';
import { DnsUpdateApplier } from '../apply/dns-update-applier';
import { GenerationGate } from '../apply/generation-gate';
import { SystemUpstream } from '../dns/system-upstream';
import { DocumentStore } from '../state/document-store';
import { PATH_FLAGS, pathOverrides, type AgentRoot } from './agent-root';

const HELP = `usage: qnet-agent dns-update (--from-system | --upstream IP[,IP...]) [--dry-run]
                            [--state-dir DIR] [--run-dir DIR]

Points DNS1/DNS2 at this qube's upstream DNS servers in one nftables
transaction. --from-system reads them from QNET_RESOLV_CONF (or from
systemd-resolved when that names only a local stub); it is what the
NetworkManager dispatcher hook runs when the uplink changes. No IPv4 server
means queries to DNS1/DNS2 are dropped.`;

export async function runDnsUpdateCommand(argv: string[], io: CliIo, root: AgentRoot): Promise<number> {
  const { values, positionals } = parseCli(argv, {
    ...PATH_FLAGS,
    'from-system': { type: 'boolean' },
    upstream: { type: 'string' },
    'dry-run': { type: 'boolean' },
  });
  if (values.help) {
    writeLine(io.stdout, HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  if (Boolean(values['from-system']) === (values.upstream !== undefined)) {
    throw new UsageError('give exactly one of --from-system and --upstream');
  }
  const container = root.build(root.config(io.env, pathOverrides(values)), io.env);
  try {
    const upstream =
      values.upstream !== undefined
        ? values.upstream.split(',').filter(Boolean)
        : await container.resolve(SystemUpstream).read();
    const applier = container.resolve(DnsUpdateApplier);
    // A local update keeps the generation dom0 last sent: it is accepted now, and dom0's next push still wins.
    const held = await container.resolve(DocumentStore).load(applier.service);
    const parsed = DnsUpdateDocument.safeParse({ generation: held?.generation ?? 0, upstream });
    if (!parsed.success) throw new UsageError(`bad upstream list: ${describeIssue(parsed.error.issues[0])}`);
    if (values['dry-run']) {
      for (const line of await applier.describePlan(parsed.data)) writeLine(io.stdout, line);
      return 0;
    }
    await container.resolve(GenerationGate).submit(applier, parsed.data);
    writeLine(
      io.stderr,
      `qnet-agent dns-update: upstream ${upstream.length ? upstream.join(', ') : '(none: DNS dropped)'}`,
    );
    return 0;
  } finally {
    await container.dispose();
  }
}

import { statSync } from 'node:fs';
import { VIRTUAL_DNS } from '../../../services/net-config';
import { DNS_RECORDS, UPSTREAM } from '../../planners/upstream-plan';
import { CAST } from '../cast';
import { appQubes, describeProbe, lineMaker, type CheckLine, type DemoContext, type DemoSection } from '../check-line';

/** What an app qube holds of DNS: the change upstream must leave it untouched. */
function dnsFootprint(ctx: DemoContext, qube: string): string {
  const st = statSync(ctx.sim.layout.resolvConf(qube));
  return `${st.ino}:${st.mtimeMs}:${st.size}`;
}

/** sys-net's uplink moves to the second resolver, the way DHCP and NetworkManager's hook would do it. */
export async function switchUpstreamResolver(ctx: DemoContext, index: 0 | 1): Promise<void> {
  ctx.note(`(${CAST.net}: resolv.conf -> nameserver ${UPSTREAM.dns[index]}; qnet-agent dns-update --from-system)`);
  ctx.sim.writeUplinkResolvConf(CAST.net, UPSTREAM.dns[index]);
  await ctx.sim.uplinkDnsHook(CAST.net);
}

export const upstreamDnsSection: DemoSection = {
  title: "sys-net's upstream DNS server changes; app qubes keep resolving, untouched",
  async run(ctx: DemoContext): Promise<CheckLine[]> {
    const line = lineMaker('upstream-dns');
    const qubes = appQubes(ctx.topology).map((q) => q.name);
    const footprints = new Map(qubes.map((q) => [q, dnsFootprint(ctx, q)]));
    const firewallChain = await ctx.probes.nftChain(CAST.firewall, 'ip', 'dnat-dns');
    const first = await ctx.probes.dns(CAST.work, VIRTUAL_DNS[0], DNS_RECORDS.markerName);
    await switchUpstreamResolver(ctx, 1);
    const lines: CheckLine[] = [
      line(
        `${CAST.work}: answered by the first resolver before`,
        first.ok && (first.addresses ?? []).includes(DNS_RECORDS.marker[0]),
        `${DNS_RECORDS.markerName} A ${(first.addresses ?? []).join(',') || '-'} ${describeProbe(first)}`,
      ),
    ];
    for (const q of qubes) {
      const r = await ctx.probes.dns(q, VIRTUAL_DNS[0], DNS_RECORDS.markerName);
      const untouched = dnsFootprint(ctx, q) === footprints.get(q);
      lines.push(
        line(
          `${q}: answered by the second resolver after, resolv.conf untouched`,
          r.ok && (r.addresses ?? []).includes(DNS_RECORDS.marker[1]) && untouched,
          `${DNS_RECORDS.markerName} A ${(r.addresses ?? []).join(',') || '-'} ${describeProbe(r)}; ` +
            `resolv.conf ${untouched ? 'same inode and mtime' : 'CHANGED'}`,
        ),
      );
    }
    const chainAfter = await ctx.probes.nftChain(CAST.firewall, 'ip', 'dnat-dns');
    lines.push(
      line(
        `${CAST.firewall}: DNS chain unchanged (it forwards to DNS1/DNS2 again)`,
        firewallChain !== '' && chainAfter === firewallChain,
        firewallChain === ''
          ? 'no dnat-dns chain found'
          : `dnat-dns chain ${chainAfter === firewallChain ? 'identical' : 'changed'}`,
      ),
    );
    return lines;
  },
};

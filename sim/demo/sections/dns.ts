import { VIRTUAL_DNS } from '../../../services/net-config';
import { DNS_RECORDS, UPSTREAM } from '../../planners/upstream-plan';
import { appQubes, describeProbe, lineMaker, type CheckLine, type DemoContext, type DemoSection } from '../check-line';

/**
 * DNS1 and DNS2 from every app qube, answered by the upstream dnsmasq after
 * DNAT in sys-firewall (to DNS1/DNS2 again) and in sys-net (to the real
 * resolver). The resolver's log shows sys-net's uplink address: NAT at every hop.
 */
export const dnsSection: DemoSection = {
  title: 'DNS through 10.139.1.1 / 10.139.1.2 (two hops of DNAT)',
  async run(ctx: DemoContext): Promise<CheckLine[]> {
    const line = lineMaker('dns');
    const lines: CheckLine[] = [];
    for (const q of appQubes(ctx.topology)) {
      for (const server of VIRTUAL_DNS) {
        const before = ctx.probes.dnsmasqQueries(0, DNS_RECORDS.name, UPSTREAM.uplinkIp);
        const r = await ctx.probes.dns(q.name, server, DNS_RECORDS.name);
        const seen = ctx.probes.dnsmasqQueries(0, DNS_RECORDS.name, UPSTREAM.uplinkIp) - before;
        lines.push(
          line(
            `${q.name}: ${DNS_RECORDS.name} via ${server}`,
            r.ok && (r.addresses ?? []).includes(DNS_RECORDS.a) && seen > 0,
            `A ${(r.addresses ?? []).join(',') || '-'} ${describeProbe(r)}; dnsmasq at ${UPSTREAM.dns[0]} logged ${seen} ` +
              `query from ${UPSTREAM.uplinkIp}`,
          ),
        );
      }
    }
    const q = appQubes(ctx.topology)[0];
    const aaaa = await ctx.probes.dns(q.name, VIRTUAL_DNS[0], DNS_RECORDS.name, 'AAAA');
    lines.push(
      line(
        `${q.name}: AAAA ${DNS_RECORDS.name} via ${VIRTUAL_DNS[0]} (DNS itself stays IPv4)`,
        aaaa.ok && (aaaa.addresses ?? []).includes(DNS_RECORDS.aaaa),
        `AAAA ${(aaaa.addresses ?? []).join(',') || '-'} ${describeProbe(aaaa)}`,
      ),
    );
    return lines;
  },
};

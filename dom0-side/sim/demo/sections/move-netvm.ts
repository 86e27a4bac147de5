import { VIRTUAL_DNS } from '../../../../services/net-config';
import { linkOf, vifOf } from '../../planners/plan-sim';
import { DNS_RECORDS, UPSTREAM } from '../../planners/upstream-plan';
import { CAST } from '../cast';
import {
  describeProbe,
  lineMaker,
  prefsOf,
  qnet,
  type CheckLine,
  type DemoContext,
  type DemoSection,
} from '../check-line';

/**
 * What qubesd and Xen do on a netvm change of a running qube: detach the vif
 * from the old netvm, attach one to the new netvm (the guest's eth0 vanishes
 * and reappears), then qnet pushes the new configuration to all three.
 */
export async function moveNetvm(ctx: DemoContext, qube: string, from: string, to: string): Promise<void> {
  const spec = ctx.topology.qubes.find((q) => q.name === qube);
  if (!spec) throw new RangeError(`no qube ${qube}`);
  ctx.note(`(vif ${vifOf(spec)} moves from ${from} to ${to}, as Xen hot-plug does)`);
  await ctx.sim.unplug(linkOf(ctx.topology, qube, from));
  await ctx.sim.plug(linkOf(ctx.topology, qube, to));
  await qnet(ctx, ['prefs', qube, 'netvm', to]);
}

export const moveNetvmSection: DemoSection = {
  title: 'work moves to another netvm, live',
  async run(ctx: DemoContext): Promise<CheckLine[]> {
    const line = lineMaker('move');
    await moveNetvm(ctx, CAST.work, CAST.firewall, CAST.net);
    const prefs = await prefsOf(ctx, CAST.work);
    const netPrefs = await prefsOf(ctx, CAST.net);
    const vif = vifOf(ctx.topology.qubes.find((q) => q.name === CAST.work)!);
    const def = (await ctx.probes.routes(CAST.work)).find((r) => r.dst === 'default');
    const [host] = UPSTREAM.services;
    const [port] = UPSTREAM.echoPorts;
    const tcp = await ctx.probes.tcp(CAST.work, host, port);
    // A fresh link's IPv6 neighbour discovery waits for its link-local address to pass DAD (1-3 s),
    // so the first SYN may be lost; TCP's retransmission at 1 s and 3 s must fit in the wait.
    const tcp6 = await ctx.probes.tcp(CAST.work, UPSTREAM.services6[0], port, { timeoutMs: 6000 });
    const dns = await ctx.probes.dns(CAST.work, VIRTUAL_DNS[0], DNS_RECORDS.name);
    const oldGone = !(await ctx.probes.hasLink(CAST.firewall, vif));
    const routes = await ctx.probes.routes(CAST.net);
    return [
      line(
        `${CAST.work}: default route via ${CAST.net}`,
        prefs.netvm === CAST.net && def?.gateway === netPrefs.ip,
        `prefs netvm ${prefs.netvm} gateway ${prefs.gateway}; kernel default via ${def?.gateway ?? 'none'}`,
      ),
      line(
        `${CAST.net}: ${vif} serves ${CAST.work}; ${CAST.firewall} has no ${vif}`,
        oldGone && routes.some((r) => r.dst === prefs.ip && r.dev === vif),
        `route ${prefs.ip} dev ${vif} in ${CAST.net}: ${routes.some((r) => r.dst === prefs.ip && r.dev === vif) ? 'yes' : 'no'}; ` +
          `${vif} in ${CAST.firewall}: ${oldGone ? 'gone' : 'still there'}`,
      ),
      line(`${CAST.work}: still reaches the upstream`, tcp.ok, `tcp ${host}:${port} ${describeProbe(tcp)}`),
      line(
        `${CAST.work}: IPv6 still on, now through ${CAST.net}`,
        tcp6.ok && prefs.gateway6 === netPrefs.ip6,
        `gateway6 ${prefs.gateway6 ?? 'none'}; tcp [${UPSTREAM.services6[0]}]:${port} ${describeProbe(tcp6)}`,
      ),
      line(
        `${CAST.work}: still resolves through ${VIRTUAL_DNS[0]} (one hop now)`,
        dns.ok && (dns.addresses ?? []).includes(DNS_RECORDS.a),
        `A ${(dns.addresses ?? []).join(',') || '-'} ${describeProbe(dns)}`,
      ),
    ];
  },
};

import { VIRTUAL_DNS } from '../../../services/net-config';
import { vifOf } from '../../planners/plan-sim';
import { DNS_RECORDS, UPSTREAM } from '../../planners/upstream-plan';
import { awaitHotplug } from '../await-hotplug';
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
 * A netvm change by hand, as a user types it. The sim's hot-plug supervisor
 * does what qubesd and Xen do (the vif leaves the old netvm, a new one is
 * attached at the new netvm; none: detached), and the qube, its old and new
 * netvm converge; resolves when the kernels show it.
 */
export async function moveNetvm(ctx: DemoContext, qube: string, to: string | null): Promise<void> {
  await qnet(ctx, ['prefs', qube, 'netvm', to ?? 'none']);
  const view = await awaitHotplug(ctx, qube, to);
  const { xid } = await prefsOf(ctx, qube);
  ctx.note(
    `(hot-plug: ${xid >= 0 ? vifOf(xid) : 'the vif'} ${view.providers.length ? `now at ${view.providers.join(', ')}` : 'detached'})`,
  );
}

export const moveNetvmSection: DemoSection = {
  title: 'work moves to another netvm, live',
  async run(ctx: DemoContext): Promise<CheckLine[]> {
    const line = lineMaker('move');
    await moveNetvm(ctx, CAST.work, CAST.net);
    const prefs = await prefsOf(ctx, CAST.work);
    const netPrefs = await prefsOf(ctx, CAST.net);
    const vif = vifOf(prefs.xid);
    const def = (await ctx.probes.routes(CAST.work)).find((r) => r.dst === 'default');
    const [host] = UPSTREAM.services;
    const [port] = UPSTREAM.echoPorts;
    // First, right after the move: the agents turn DAD off on the fresh link, so no SYN waits for a tentative link-local address
    // (the time shows in the evidence; bench/sim.bench.ts measures it).
    const tcp6 = await ctx.probes.tcp(CAST.work, UPSTREAM.services6[0], port);
    const tcp = await ctx.probes.tcp(CAST.work, host, port);
    const dns = await ctx.probes.dns(CAST.work, VIRTUAL_DNS[0], DNS_RECORDS.name);
    const oldGone = !(await ctx.probes.hasLink(CAST.firewall, vif));
    const routes = await ctx.probes.routes(CAST.net);
    return [
      line(
        `${CAST.work}: default route via ${CAST.net}`,
        prefs.netvm === CAST.net && def?.gateway === netPrefs.ip,
        `prefs netvm ${prefs.netvm} visible_gateway ${prefs.visible_gateway}; kernel default via ${def?.gateway ?? 'none'}`,
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
        tcp6.ok && prefs.visible_gateway6 === netPrefs.ip6,
        `visible_gateway6 ${prefs.visible_gateway6 ?? 'none'}; tcp [${UPSTREAM.services6[0]}]:${port} ${describeProbe(tcp6)}`,
      ),
      line(
        `${CAST.work}: still resolves through ${VIRTUAL_DNS[0]} (one hop now)`,
        dns.ok && (dns.addresses ?? []).includes(DNS_RECORDS.a),
        `A ${(dns.addresses ?? []).join(',') || '-'} ${describeProbe(dns)}`,
      ),
    ];
  },
};

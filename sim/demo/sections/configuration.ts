import { GUEST_DEVICE, GUEST_MAC, planStartOrder, vifOf } from '../../planners/plan-sim';
import { UPSTREAM } from '../../planners/upstream-plan';
import { lineMaker, prefsOf, type CheckLine, type DemoContext, type DemoSection } from '../check-line';

/**
 * Each qube as dom0 sees it (`qnet prefs --json`) against its kernel: the
 * guest's address and default route on eth0, and on a provider, the client's
 * host route and the provider's own address on each vif.
 */
export const configurationSection: DemoSection = {
  title: 'configuration (qnet prefs vs the kernel)',
  async run(ctx: DemoContext): Promise<CheckLine[]> {
    const line = lineMaker('configuration');
    const lines: CheckLine[] = [];
    for (const q of planStartOrder(ctx.topology)) {
      const prefs = await prefsOf(ctx, q.name);
      if (q.netvm !== null) {
        const eth0 = await ctx.probes.addresses(q.name, GUEST_DEVICE);
        const def = (await ctx.probes.routes(q.name)).find((r) => r.dst === 'default');
        const want = `${prefs.ip}/32`;
        const pass =
          eth0.v4.includes(want) &&
          def?.gateway === prefs.visible_gateway &&
          eth0.mac === GUEST_MAC &&
          prefs.netvm === q.netvm;
        lines.push(
          line(
            `${q.name}: eth0 as dom0 planned`,
            pass,
            `prefs ip ${prefs.ip} visible_gateway ${prefs.visible_gateway} netvm ${prefs.netvm}; kernel eth0 ${eth0.mac} ` +
              `${eth0.v4.join(',') || 'no address'}, default via ${def?.gateway ?? 'none'}`,
          ),
        );
      } else if (q.uplink) {
        const up = await ctx.probes.addresses(q.name, UPSTREAM.uplinkDevice);
        lines.push(
          line(
            `${q.name}: uplink (set by the sim, as NetworkManager would)`,
            up.v4.includes(`${UPSTREAM.uplinkIp}/${UPSTREAM.prefixLen}`) && prefs.netvm === null,
            `prefs ip ${prefs.ip} netvm ${prefs.netvm ?? 'none'}; kernel ${UPSTREAM.uplinkDevice} ${up.v4.join(',')}`,
          ),
        );
      }
      if (!q.providesNetwork) continue;
      const routes = await ctx.probes.routes(q.name);
      for (const client of ctx.topology.qubes.filter((c) => c.netvm === q.name)) {
        const cp = await prefsOf(ctx, client.name);
        const vif = vifOf(cp.xid);
        const addrs = await ctx.probes.addresses(q.name, vif);
        const hostRoute = routes.some((r) => r.dst === cp.ip && r.dev === vif);
        lines.push(
          line(
            `${q.name}: ${vif} serves ${client.name}`,
            addrs.v4.includes(`${prefs.ip}/32`) && hostRoute && addrs.mac === 'fe:ff:ff:ff:ff:ff',
            `${vif} ${addrs.mac} ${addrs.v4.join(',') || 'no address'}; route ${cp.ip} dev ${vif}: ${hostRoute ? 'yes' : 'no'}`,
          ),
        );
      }
    }
    return lines;
  },
};

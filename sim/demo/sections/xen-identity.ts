import { vifOf } from '../../planners/plan-sim';
import { UPSTREAM } from '../../planners/upstream-plan';
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
 * Xen names a client's link after its domain id, which changes at every
 * start: a restarted client comes back on a vif of another name, and its
 * provider is told the new name (a new document) and configures it.
 */
export const xenIdentitySection: DemoSection = {
  title: 'personal restarts under a new Xen id: its vif is renamed, its traffic resumes',
  async run(ctx: DemoContext): Promise<CheckLine[]> {
    const line = lineMaker('xid');
    const qube = CAST.personal;
    const before = await prefsOf(ctx, qube);
    await qnet(ctx, ['shutdown', qube]);
    await awaitHotplug(ctx, qube, null);
    const startedAt = Date.now();
    await qnet(ctx, ['start', qube]);
    const view = await awaitHotplug(ctx, qube, CAST.firewall);
    // From `qnet start` to both ends of the renamed link configured (the start's pushes, hot-plug, pushes again).
    const convergedMs = Date.now() - startedAt;
    const after = await prefsOf(ctx, qube);
    const [oldVif, newVif] = [vifOf(before.xid), vifOf(after.xid)];
    const oldGone = !(await ctx.probes.hasLink(CAST.firewall, oldVif));
    const routes = await ctx.probes.routes(CAST.firewall);
    const hostRoute = routes.some((r) => r.dst === after.ip && r.dev === newVif);
    const [host] = UPSTREAM.services;
    const [port] = UPSTREAM.echoPorts;
    const tcp = await ctx.probes.tcp(qube, host, port);
    const seen = ctx.probes.echoSightings(tcp.token).length;
    return [
      line(
        `${qube}: a new xid at the start (${before.xid} -> ${after.xid})`,
        after.xid > before.xid && before.xid > 0,
        `prefs xid ${before.xid} before the restart, ${after.xid} after`,
      ),
      line(
        `${CAST.firewall}: ${newVif} serves ${qube}; ${oldVif} is gone`,
        view.providers.join() === CAST.firewall && view.configured && oldGone && hostRoute,
        `${newVif} at ${view.providers.join(', ') || 'nowhere'}, configured ${view.configured}; ` +
          `route ${after.ip} dev ${newVif}: ${hostRoute ? 'yes' : 'no'}; ${oldVif} ${oldGone ? 'gone' : 'still there'}; ` +
          `${convergedMs} ms after qnet start`,
      ),
      line(
        `${qube}: reaches the upstream again`,
        tcp.ok && seen === 1,
        `tcp ${host}:${port} ${describeProbe(tcp)}; seen by the echo server ${seen}x`,
      ),
    ];
  },
};

import { GUEST_DEVICE, vifOf } from '../planners/plan-sim';
import { sleep } from '../sim-processes';
import { prefsOf, type DemoContext } from './check-line';

/** Where a qube's cable is, read from the kernels: the provider holding its vif and whether both ends carry qnet's config. */
export interface CableView {
  readonly providers: readonly string[];
  readonly configured: boolean;
}

export async function cableOf(ctx: DemoContext, qube: string): Promise<CableView> {
  if (!ctx.topology.qubes.some((q) => q.name === qube)) throw new RangeError(`no qube ${qube}`);
  const prefs = await prefsOf(ctx, qube);
  // Named after the qube's current domain id: none while it is halted.
  const vif = vifOf(prefs.xid);
  const providers: string[] = [];
  if (prefs.xid >= 0)
    for (const q of ctx.topology.qubes) if (await ctx.probes.hasLink(q.name, vif)) providers.push(q.name);
  if (providers.length !== 1) return { providers, configured: false };
  const [at] = providers;
  const hostRoute = (routes: { dst: string; dev: string }[], ip: string | null) =>
    ip === null || routes.some((r) => r.dst === ip && r.dev === vif);
  const guestDefault = (await ctx.probes.routes(qube)).some((r) => r.dst === 'default' && r.dev === GUEST_DEVICE);
  const configured =
    guestDefault &&
    hostRoute(await ctx.probes.routes(at), prefs.ip) &&
    hostRoute(await ctx.probes.routes(at, '-6'), prefs.ip6);
  return { providers, configured };
}

/**
 * Hot-plug is asynchronous, as in Qubes: the supervisor moves the cable
 * after qnetd's pushes, then pushes again. Resolves once the kernels show
 * the qube's vif only at `netvm` (nowhere for none) with both ends
 * configured; the caller's probes then judge by packets.
 */
export async function awaitHotplug(
  ctx: DemoContext,
  qube: string,
  netvm: string | null,
  timeoutMs = 15_000,
): Promise<CableView> {
  const start = Date.now();
  for (;;) {
    const view = await cableOf(ctx, qube);
    const done = netvm === null ? view.providers.length === 0 : view.providers[0] === netvm && view.configured;
    if (done || Date.now() - start > timeoutMs) return view;
    await sleep(50);
  }
}

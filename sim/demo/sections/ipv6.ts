import { GUEST_DEVICE } from '../../planners/plan-sim';
import { UPSTREAM } from '../../planners/upstream-plan';
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

const [HOST6] = UPSTREAM.services6;
const [PORT] = UPSTREAM.echoPorts;

/** Turns IPv6 on for sys-net's whole subtree, except personal which opted out first; returns how long it took. */
export async function enableIpv6(ctx: DemoContext): Promise<number> {
  await qnet(ctx, ['features', CAST.personal, 'ipv6', '']);
  const start = Date.now();
  await qnet(ctx, ['features', CAST.net, 'ipv6', '1']);
  return Date.now() - start;
}

/** IPv6 on a qube, by its packets: a global address on eth0 and an echo over IPv6 from the upstream. */
async function ipv6Line(ctx: DemoContext, qube: string, expectOn: boolean): Promise<CheckLine> {
  const prefs = await prefsOf(ctx, qube);
  const eth0 = await ctx.probes.addresses(qube, GUEST_DEVICE);
  const r = await ctx.probes.tcp(qube, HOST6, PORT, { timeoutMs: 1500 });
  const seen = ctx.probes.echoSightings(r.token);
  const viaUplink = seen.some(
    (s) => s.from.startsWith(`${UPSTREAM.uplinkIp6}:`) || s.from.startsWith(`[${UPSTREAM.uplinkIp6}]`),
  );
  const pass = expectOn
    ? prefs.ip6 !== null && eth0.v6.includes(`${prefs.ip6}/128`) && r.ok && viaUplink
    : prefs.ip6 === null && eth0.v6.length === 0 && !r.ok && seen.length === 0;
  return lineMaker('ipv6')(
    `${qube}: IPv6 ${expectOn ? 'on' : 'off'}`,
    pass,
    `prefs ip6 ${prefs.ip6 ?? 'none'}; eth0 ${eth0.v6.join(',') || 'no global IPv6'}; tcp [${HOST6}]:${PORT} ` +
      `${describeProbe(r)}${seen.length ? ` (upstream saw ${seen[0].from})` : ''}`,
  );
}

export const ipv6Section: DemoSection = {
  title: 'qnet features sys-net ipv6 1, live (personal opted out with ipv6 "")',
  async run(ctx: DemoContext): Promise<CheckLine[]> {
    const ms = await enableIpv6(ctx);
    ctx.note(`(applied and acknowledged in ${ms} ms)`);
    const lines: CheckLine[] = [];
    for (const q of [CAST.work, CAST.disposable]) lines.push(await ipv6Line(ctx, q, true));
    lines.push(await ipv6Line(ctx, CAST.personal, false));
    const v4 = await ctx.probes.tcp(CAST.personal, UPSTREAM.services[0], PORT);
    lines.push(
      lineMaker('ipv6')(
        `${CAST.personal}: IPv4 unaffected`,
        v4.ok,
        `tcp ${UPSTREAM.services[0]}:${PORT} ${describeProbe(v4)}`,
      ),
    );
    return lines;
  },
};

import { GUEST_DEVICE, netnsOf } from '../../planners/plan-sim';
import { UPSTREAM } from '../../planners/upstream-plan';
import { CAST } from '../cast';
import { describeProbe, lineMaker, prefsOf, type CheckLine, type DemoContext, type DemoSection } from '../check-line';

const [HOST] = UPSTREAM.services;
const [PORT] = UPSTREAM.echoPorts;
/** An outside address no qube has: spoofing it is as forbidden as spoofing a neighbour. */
const OUTSIDE = '203.0.113.66';
/** The compromised qube's own table, beside qnet's (never touched). */
const SPOOF_TABLE = 'demo-spoof';

/**
 * A compromised work puts another address on its eth0 and sends from it.
 * sys-firewall's antispoof check (interface + source must be a known pair)
 * drops the packets before conntrack sees them: no echo, and the upstream
 * never gets the token. Sending from work's own address still works.
 *
 * Every qube masquerades what leaves through its uplink (as upstream), which
 * would rewrite the forged source to work's own; a compromised qube owns its
 * kernel, so it pins the forged source with an identity SNAT in a table of its
 * own (the first NAT binding wins over the masquerade behind it).
 */
async function spoofLine(ctx: DemoContext, source: string, label: string): Promise<CheckLine> {
  const ns = netnsOf(CAST.work);
  await ctx.sim.kernel.ip(ns, ['addr', 'add', `${source}/32`, 'dev', GUEST_DEVICE]);
  const nft = async (args: string[]) => {
    const r = await ctx.sim.execIn(CAST.work, 'nft', args);
    if (r.status !== 0) throw new Error(`nft ${args.join(' ')} in ${CAST.work} failed: ${r.stderr.trim()}`);
  };
  await nft(['add', 'table', 'ip', SPOOF_TABLE]);
  await nft(['add', 'chain', 'ip', SPOOF_TABLE, 'keep', '{ type nat hook postrouting priority 99 ; }']);
  await nft(['add', 'rule', 'ip', SPOOF_TABLE, 'keep', 'ip', 'saddr', source, 'snat', 'to', source]);
  try {
    const before = await ctx.probes.antispoofDrops(CAST.firewall);
    const r = await ctx.probes.udp(CAST.work, HOST, PORT, { bind: source, timeoutMs: 1000 });
    const after = await ctx.probes.antispoofDrops(CAST.firewall);
    const arrived = ctx.probes.echoSightings(r.token).length;
    return lineMaker('spoof')(
      `${CAST.work} sending as ${source} (${label}) dropped at ${CAST.firewall}`,
      !r.ok && arrived === 0 && after > before,
      `udp ${HOST}:${PORT} ${describeProbe(r)}; upstream saw it ${arrived} time(s); ` +
        `${CAST.firewall} antispoof drops ${before} -> ${after}`,
    );
  } finally {
    await nft(['delete', 'table', 'ip', SPOOF_TABLE]).catch(() => undefined);
    await ctx.sim.kernel.ip(ns, ['addr', 'del', `${source}/32`, 'dev', GUEST_DEVICE]).catch(() => undefined);
  }
}

export const spoofSection: DemoSection = {
  title: 'spoofed source addresses dropped at the provider',
  async run(ctx: DemoContext): Promise<CheckLine[]> {
    const personal = await prefsOf(ctx, CAST.personal);
    const lines = [
      await spoofLine(ctx, personal.ip ?? '10.137.0.5', `${CAST.personal}'s address`),
      await spoofLine(ctx, OUTSIDE, 'an outside address'),
    ];
    const own = await ctx.probes.udp(CAST.work, HOST, PORT);
    lines.push(
      lineMaker('spoof')(
        `${CAST.work} sending as itself still works`,
        own.ok,
        `udp ${HOST}:${PORT} ${describeProbe(own)}`,
      ),
    );
    return lines;
  },
};

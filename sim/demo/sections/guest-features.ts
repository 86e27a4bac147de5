import { GUEST_DEVICE } from '../../planners/plan-sim';
import { VIRTUAL_DNS } from '../../../services/net-config';
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

const [HOST] = UPSTREAM.services;
const [PORT] = UPSTREAM.echoPorts;
/** The address personal is told it has (Whonix's range, the common real use of net.fake-ip). */
const FAKE_IP = '10.152.152.11';
const MAPPED_TABLE = ['list', 'table', 'netdev', 'qubes-mapped-ip'];
const line = lineMaker('guest features');

/** Flows sys-firewall's conntrack holds from `source`: what its IP stack saw as the sender. */
async function trackedFrom(ctx: DemoContext, source: string): Promise<number> {
  const r = await ctx.sim.execIn(CAST.firewall, 'conntrack', ['-L', '-f', 'ipv4', '-s', source]);
  return r.stdout.split('\n').filter((l) => l.includes(`src=${source} `) && l.includes(`dst=${HOST} `)).length;
}

async function fakeIpLines(ctx: DemoContext): Promise<CheckLine[]> {
  const real = (await prefsOf(ctx, CAST.personal)).ip ?? '';
  await qnet(ctx, ['features', CAST.personal, 'net.fake-ip', FAKE_IP]);
  // Earlier sections' flows from personal are forgotten first, so what is counted below is this probe's alone.
  await ctx.sim.execIn(CAST.firewall, 'conntrack', ['-D', '-f', 'ipv4', '-s', real]);
  const eth0 = await ctx.probes.addresses(CAST.personal, GUEST_DEVICE);
  const r = await ctx.probes.tcp(CAST.personal, HOST, PORT);
  const dns = await ctx.probes.dns(CAST.personal, VIRTUAL_DNS[0], DNS_RECORDS.name);
  const [seenReal, seenFake] = [await trackedFrom(ctx, real), await trackedFrom(ctx, FAKE_IP)];
  const lines = [
    line(
      `${CAST.personal} holds only ${FAKE_IP} and still reaches the upstream and its DNS`,
      eth0.v4.join(',') === `${FAKE_IP}/32` && r.ok && dns.ok,
      `eth0 ${eth0.v4.join(',')}; tcp ${HOST}:${PORT} ${describeProbe(r)}; ` +
        `${DNS_RECORDS.name} via ${VIRTUAL_DNS[0]} ${describeProbe(dns)}`,
    ),
    line(
      `${CAST.firewall} sees ${CAST.personal}'s real address ${real}`,
      seenReal > 0 && seenFake === 0,
      `conntrack flows to ${HOST}: from ${real} ${seenReal}, from ${FAKE_IP} ${seenFake}`,
    ),
  ];
  await qnet(ctx, ['features', CAST.personal, 'net.fake-ip', '--delete']);
  const back = await ctx.probes.addresses(CAST.personal, GUEST_DEVICE);
  const again = await ctx.probes.tcp(CAST.personal, HOST, PORT);
  const table = await ctx.sim.execIn(CAST.firewall, 'nft', MAPPED_TABLE);
  lines.push(
    line(
      `${CAST.personal} back on ${real} once the feature is deleted, no translation left`,
      back.v4.join(',') === `${real}/32` && again.ok && table.status !== 0,
      `eth0 ${back.v4.join(',')}; tcp ${describeProbe(again)}; netdev qubes-mapped-ip ${table.status === 0 ? 'present' : 'gone'}`,
    ),
  );
  return lines;
}

async function defaultRouteLines(ctx: DemoContext): Promise<CheckLine[]> {
  const hasDefault = async () => (await ctx.probes.routes(CAST.personal)).some((r) => r.dst === 'default');
  await qnet(ctx, ['features', CAST.personal, 'service.disable-default-route', '1']);
  const off = await ctx.probes.tcp(CAST.personal, HOST, PORT, { timeoutMs: 1000 });
  const offRoute = await hasDefault();
  await qnet(ctx, ['features', CAST.personal, 'service.disable-default-route', '--delete']);
  const on = await ctx.probes.tcp(CAST.personal, HOST, PORT);
  const onRoute = await hasDefault();
  return [
    line(
      `${CAST.personal} with disable-default-route: no default route, the upstream unreachable; back when deleted`,
      !offRoute && !off.ok && onRoute && on.ok,
      `with: default route ${offRoute ? 'present' : 'none'}, tcp ${describeProbe(off)}; ` +
        `without: default route ${onRoute ? 'present' : 'none'}, tcp ${describeProbe(on)}`,
    ),
  ];
}

export const guestFeaturesSection: DemoSection = {
  title: 'guest features: net.fake-ip and service.disable-default-route, live',
  async run(ctx: DemoContext): Promise<CheckLine[]> {
    return [...(await fakeIpLines(ctx)), ...(await defaultRouteLines(ctx))];
  },
};

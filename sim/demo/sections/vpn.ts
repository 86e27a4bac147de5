import { VIRTUAL_DNS } from '../../../services/net-config';
import { DNS_RECORDS, UPSTREAM } from '../../planners/upstream-plan';
import { VPN, VPN_ROUTES } from '../../planners/vpn-plan';
import { CAST } from '../cast';
import { describeProbe, lineMaker, qnet, type CheckLine, type DemoContext, type DemoSection } from '../check-line';

/** The VPN client's own routes in sys-vpn: the server through the netvm, everything else through the tunnel. */
async function vpnRoutes(ctx: DemoContext): Promise<{ held: boolean; text: string }> {
  const routes = await ctx.probes.routes(CAST.vpn);
  const server = routes.find((r) => r.dst === VPN.serverEndpoint);
  const def1 = VPN_ROUTES.map((dst) => routes.find((r) => r.dst === dst));
  const held = server?.dev === 'eth0' && def1.every((r) => r?.dev === VPN.device);
  const text =
    `${VPN.serverEndpoint} ${server ? `via ${server.gateway} dev ${server.dev}` : 'GONE'}; ` +
    VPN_ROUTES.map((dst, i) => `${dst} ${def1[i] ? `dev ${def1[i]?.dev}` : 'GONE'}`).join(', ');
  return { held, text };
}

/** What the upstream resolvers logged for resolver.test, to see that none of vpn-app's queries leaked there. */
const upstreamResolverQueries = (ctx: DemoContext) =>
  [0, 1].reduce((n, i) => n + ctx.probes.dnsmasqQueries(i, DNS_RECORDS.markerName, UPSTREAM.uplinkIp), 0);

/**
 * The checks of one moment: real packets from vpn-app through sys-vpn's
 * tunnel (the upstream sees the tunnel's address, not sys-net's), its DNS
 * answered by the VPN's server and never by the upstream resolvers, and the
 * VPN client's routes still in sys-vpn's kernel.
 */
async function throughTheTunnel(ctx: DemoContext, moment: string): Promise<CheckLine[]> {
  const line = lineMaker('vpn');
  const [host] = UPSTREAM.services;
  const [port] = UPSTREAM.echoPorts;
  const tcp = await ctx.probes.tcp(CAST.vpnApp, host, port);
  const seen = ctx.probes.echoSightings(tcp.token).map((s) => s.from.split(':')[0]);
  const vpnBefore = ctx.probes.dnsmasqQueries(VPN.dnsLogIndex, DNS_RECORDS.markerName, VPN.clientTunnelIp);
  const leakedBefore = upstreamResolverQueries(ctx);
  const dns = await ctx.probes.dns(CAST.vpnApp, VIRTUAL_DNS[0], DNS_RECORDS.markerName);
  const vpnSeen = ctx.probes.dnsmasqQueries(VPN.dnsLogIndex, DNS_RECORDS.markerName, VPN.clientTunnelIp) - vpnBefore;
  const leaked = upstreamResolverQueries(ctx) - leakedBefore;
  const routes = await vpnRoutes(ctx);
  return [
    line(
      `${moment}: ${CAST.vpnApp} reaches the upstream through the tunnel, NATed to ${VPN.clientTunnelIp}`,
      tcp.ok && seen.length > 0 && seen.every((from) => from === VPN.clientTunnelIp),
      `tcp ${host}:${port} ${describeProbe(tcp)}; the upstream saw it from ${seen.join(',') || 'nowhere'} ` +
        `(sys-net's own address is ${UPSTREAM.uplinkIp})`,
    ),
    line(
      `${moment}: ${CAST.vpnApp}'s DNS goes where the VPN says`,
      dns.ok && (dns.addresses ?? []).includes(VPN.dnsMarker) && vpnSeen > 0 && leaked === 0,
      `${DNS_RECORDS.markerName} via ${VIRTUAL_DNS[0]}: A ${(dns.addresses ?? []).join(',') || '-'} ` +
        `${describeProbe(dns)}; the VPN's DNS ${VPN.serverTunnelIp} logged ${vpnSeen} from ${VPN.clientTunnelIp}, ` +
        `the upstream resolvers ${leaked}`,
    ),
    line(`${moment}: the VPN client's routes in ${CAST.vpn} are still there`, routes.held, routes.text),
  ];
}

/** The DNS1/DNS2 targets in sys-vpn's DNAT chain. */
async function dnatTargets(ctx: DemoContext): Promise<string[]> {
  const chain = await ctx.probes.nftChain(CAST.vpn, 'ip', 'dnat-dns');
  return [...new Set([...chain.matchAll(/dnat to (\S+)/g)].map((m) => m[1]))];
}

async function vpnAgent(ctx: DemoContext, args: string[]): Promise<void> {
  ctx.note(`(${CAST.vpn}: qnet-agent ${args.join(' ')})`);
  const r = await ctx.sim.agent(CAST.vpn, args);
  if (r.status !== 0) throw new Error(`qnet-agent ${args.join(' ')} in ${CAST.vpn}: ${r.stderr.trim() || r.status}`);
}

/**
 * sys-vpn runs a VPN client (set up by the simulator at boot, as a user's
 * client would be): a tunnel through sys-firewall and sys-net to a VPN
 * server in the upstream, its own routes, and DNS set with the agent's local
 * override. Nothing qnet does afterwards (a push, a qnetd restart, an agent
 * restart) may undo the routes or send DNS around the tunnel.
 */
export const vpnSection: DemoSection = {
  title: 'a VPN qube: tunnel uplink NATed, its DNS and routes survive pushes and restarts',
  async run(ctx: DemoContext): Promise<CheckLine[]> {
    const line = lineMaker('vpn');
    const lines = await throughTheTunnel(ctx, 'at boot');
    await qnet(ctx, ['push', CAST.vpn]);
    lines.push(...(await throughTheTunnel(ctx, 'after qnet push')));
    ctx.note('(qnetd restarts: it pushes every running qube again)');
    await ctx.sim.restartQnetd();
    await qnet(ctx, ['push', CAST.vpn]);
    lines.push(...(await throughTheTunnel(ctx, 'after a qnetd restart')));
    ctx.note(`(${CAST.vpn}: the agent restarts and re-applies its saved state)`);
    await ctx.sim.restartAgent(CAST.vpn);
    lines.push(...(await throughTheTunnel(ctx, `after ${CAST.vpn}'s agent restarts`)));

    const status = await ctx.sim.qnet.json<{ service: string; state: string; reason?: string }[]>(['status', CAST.vpn]);
    const dnsRow = status.find((r) => r.service === 'qubes.DnsUpdate');
    lines.push(
      line(
        `qnet status: ${CAST.vpn} converged, saying its DNS is overridden locally`,
        dnsRow?.state === 'ok' && (dnsRow.reason ?? '').includes(VPN.serverTunnelIp),
        `qubes.DnsUpdate ${dnsRow?.state ?? 'missing'}: ${dnsRow?.reason ?? '(no reason)'}`,
      ),
    );

    await vpnAgent(ctx, ['dns-update', '--clear']);
    const cleared = await dnatTargets(ctx);
    await vpnAgent(ctx, ['dns-update', '--upstream', VPN.serverTunnelIp]);
    const again = await dnatTargets(ctx);
    lines.push(
      line(
        `--clear puts dom0's DNS1/DNS2 back at once; setting it again points at the VPN`,
        cleared.sort().join() === [...VIRTUAL_DNS].sort().join() && again.join() === VPN.serverTunnelIp,
        `${CAST.vpn} DNAT targets after --clear: ${cleared.join(', ') || 'none'}; after --upstream: ${again.join(', ')}`,
      ),
    );
    return lines;
  },
};

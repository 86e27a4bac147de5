import { UPSTREAM } from '../../planners/upstream-plan';
import { CAST } from '../cast';
import { describeProbe, lineMaker, qnet, type CheckLine, type DemoContext, type DemoSection } from '../check-line';
import type { ProbeResult } from '../probes';

const [ALLOWED_HOST, OTHER_HOST] = UPSTREAM.services;
const [ALLOWED_PORT, OTHER_PORT] = UPSTREAM.echoPorts;

/** work may reach one echo port of one host (and DNS); everything else from it is refused. */
export const WORK_RULES = [
  'accept specialtarget=dns',
  `accept proto=tcp dsthost=${ALLOWED_HOST} dstports=${ALLOWED_PORT}`,
  `accept proto=udp dsthost=${ALLOWED_HOST} dstports=${ALLOWED_PORT}`,
  'accept proto=icmp',
  'drop',
].join('\n');

export interface FlowExpectation {
  readonly qube: string;
  readonly proto: 'tcp' | 'udp';
  readonly host: string;
  readonly port: number;
  readonly allowed: boolean;
}

export const FIREWALL_FLOWS: readonly FlowExpectation[] = [
  { qube: CAST.work, proto: 'tcp', host: ALLOWED_HOST, port: ALLOWED_PORT, allowed: true },
  { qube: CAST.work, proto: 'udp', host: ALLOWED_HOST, port: ALLOWED_PORT, allowed: true },
  { qube: CAST.work, proto: 'tcp', host: ALLOWED_HOST, port: OTHER_PORT, allowed: false },
  { qube: CAST.work, proto: 'tcp', host: OTHER_HOST, port: ALLOWED_PORT, allowed: false },
  { qube: CAST.work, proto: 'udp', host: OTHER_HOST, port: ALLOWED_PORT, allowed: false },
  { qube: CAST.personal, proto: 'tcp', host: OTHER_HOST, port: OTHER_PORT, allowed: true },
];

/**
 * A flow judged by its packets: allowed means the echo came back; refused
 * means no echo and the upstream never saw the token.
 */
export async function checkFlow(ctx: DemoContext, f: FlowExpectation): Promise<CheckLine & { probe: ProbeResult }> {
  const r = await (f.proto === 'tcp' ? ctx.probes.tcp : ctx.probes.udp).call(ctx.probes, f.qube, f.host, f.port, {
    timeoutMs: 1500,
  });
  const arrived = ctx.probes.echoSightings(r.token).length;
  const pass = f.allowed ? r.ok && arrived > 0 : !r.ok && arrived === 0;
  const line = lineMaker('firewall')(
    `${f.qube} -> ${f.proto} ${f.host}:${f.port} ${f.allowed ? 'allowed' : 'refused'}`,
    pass,
    `${describeProbe(r)}; upstream saw the token ${arrived} time(s)`,
  );
  return { ...line, probe: r };
}

export const firewallSection: DemoSection = {
  title: 'firewall rules set with qnet firewall (sys-firewall enforces them)',
  async run(ctx: DemoContext): Promise<CheckLine[]> {
    await qnet(ctx, ['firewall', CAST.work, 'set'], `${WORK_RULES}\n`);
    const lines: CheckLine[] = [];
    for (const f of FIREWALL_FLOWS) lines.push(await checkFlow(ctx, f));
    await qnet(ctx, ['firewall', CAST.work, 'reset']);
    const after = await checkFlow(ctx, {
      qube: CAST.work,
      proto: 'tcp',
      host: OTHER_HOST,
      port: ALLOWED_PORT,
      allowed: true,
    });
    lines.push({ ...after, name: `${after.name} again after qnet firewall ${CAST.work} reset` });
    return lines;
  },
};

import { readFileSync } from 'node:fs';
import { encode, strictUnpackr } from '../../../shared/codec/strict-unpackr';
import { QREXEC_EXIT } from '../../../shared/transport/transport';
import { CAST } from '../cast';
import { lineMaker, type CheckLine, type DemoContext, type DemoSection } from '../check-line';

/** What a compromised personal tries: rewrite sys-firewall's rules or DNS, or work's addresses. */
export const FORBIDDEN_CALLS = [
  { target: CAST.firewall, service: 'qubes.FirewallSync', payload: { generation: 999_999, clients: [] } },
  { target: CAST.firewall, service: 'qubes.DnsUpdate', payload: { generation: 999_999, upstream: ['203.0.113.66'] } },
  { target: CAST.work, service: 'qubes.NetConfig', payload: { generation: 999_999, qube: CAST.work } },
] as const;

function routerRefusals(ctx: DemoContext, service: string, target: string): number {
  const log = readFileSync(ctx.sim.layout.logFile('router'), 'utf8');
  return log.split('\n').filter((l) => l.includes(`refused ${CAST.personal} -> ${target} ${service}`)).length;
}

export const policySection: DemoSection = {
  title: 'a compromised qube calling services on other qubes (qrexec policy)',
  async run(ctx: DemoContext): Promise<CheckLine[]> {
    const line = lineMaker('policy');
    const lines: CheckLine[] = [];
    for (const call of FORBIDDEN_CALLS) {
      const before = routerRefusals(ctx, call.service, call.target);
      const r = await ctx.probes.qrexecCall(CAST.personal, call.target, call.service, encode(call.payload));
      const logged = routerRefusals(ctx, call.service, call.target) - before;
      lines.push(
        line(
          `${CAST.personal} -> ${call.target} ${call.service} refused`,
          r.status === QREXEC_EXIT.REFUSED && r.reply.length === 0,
          `qrexec status ${r.status}; router logged ${logged} refusal(s)`,
        ),
      );
    }
    // The one call policy allows: a qube's own config from dom0, decided by who calls, not by what it sends.
    const own = await ctx.probes.qrexecCall(CAST.personal, '@adminvm', 'qubes.NetConfig', encode({}));
    let qube: string;
    try {
      const envelope = strictUnpackr.unpack(own.reply) as { ok: boolean; result?: { qube?: string } };
      qube = envelope.ok ? String(envelope.result?.qube) : 'error envelope';
    } catch {
      qube = 'undecodable reply';
    }
    lines.push(
      line(
        `${CAST.personal} -> @adminvm qubes.NetConfig allowed (its own config only)`,
        own.status === 0 && qube === CAST.personal,
        `exit ${own.status}; reply is the document of ${qube}`,
      ),
    );
    return lines;
  },
};

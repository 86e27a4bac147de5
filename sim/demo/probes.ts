import { readFileSync } from 'node:fs';
import { netnsOf } from '../planners/plan-sim';
import type { Simulation } from '../simulation';
import type { ProbeResult } from '../tools/sim-probe';
import type { EchoLogLine } from '../tools/upstream-echo';

export type { ProbeResult } from '../tools/sim-probe';

interface IpAddrJson {
  ifname: string;
  address?: string;
  addr_info?: { family: string; local: string; prefixlen: number; scope: string }[];
}

/**
 * Real packets from inside a qube, and what the kernel of a qube holds. The
 * demo and the end-to-end tests judge by these, never by reading back what
 * qnet was asked to do.
 */
export class Probes {
  constructor(private readonly sim: Simulation) {}

  private async probe(qube: string, args: string[]): Promise<ProbeResult> {
    const r = await this.sim.execIn(qube, this.sim.bins.node, [this.sim.bins.probe, ...args]);
    const line = r.stdout.trim().split('\n').pop() ?? '';
    try {
      return JSON.parse(line) as ProbeResult;
    } catch {
      return { ok: false, error: `probe failed: ${(r.stderr || line).trim().slice(0, 200)}`, ms: 0 };
    }
  }

  dns(qube: string, server: string, name: string, type: 'A' | 'AAAA' = 'A'): Promise<ProbeResult> {
    return this.probe(qube, ['dns', server, name, '--type', type]);
  }

  tcp(
    qube: string,
    host: string,
    port: number,
    opts: { bind?: string; timeoutMs?: number } = {},
  ): Promise<ProbeResult> {
    return this.probe(qube, ['tcp', host, String(port), ...flags(opts)]);
  }

  udp(
    qube: string,
    host: string,
    port: number,
    opts: { bind?: string; timeoutMs?: number } = {},
  ): Promise<ProbeResult> {
    return this.probe(qube, ['udp', host, String(port), ...flags(opts)]);
  }

  /** What reached the upstream's echo services carrying this token (empty: nothing arrived). */
  echoSightings(token: string | undefined): EchoLogLine[] {
    if (!token) return [];
    return readFileSync(this.sim.layout.echoLog(), 'utf8')
      .split('\n')
      .filter((l) => l.includes(token))
      .map((l) => JSON.parse(l) as EchoLogLine);
  }

  /** Queries a resolver logged as coming from `from`. */
  dnsmasqQueries(index: number, name: string, from: string): number {
    const log = readFileSync(this.sim.layout.dnsmasqLog(index), 'utf8');
    return log.split('\n').filter((l) => l.includes(`query[A] ${name} from ${from}`)).length;
  }

  async addresses(qube: string, dev: string): Promise<{ mac: string; v4: string[]; v6: string[] }> {
    const out = await this.sim.kernel.ip(netnsOf(qube), ['-j', 'addr', 'show', 'dev', dev]).catch(() => '[]');
    const [link] = JSON.parse(out) as IpAddrJson[];
    const info = link?.addr_info ?? [];
    return {
      mac: link?.address ?? '',
      v4: info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
      v6: info.filter((a) => a.family === 'inet6' && a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`),
    };
  }

  async routes(qube: string, family: '-4' | '-6' = '-4'): Promise<{ dst: string; gateway?: string; dev: string }[]> {
    const out = await this.sim.kernel.ip(netnsOf(qube), [family, '-j', 'route', 'show']);
    return JSON.parse(out) as { dst: string; gateway?: string; dev: string }[];
  }

  async hasLink(qube: string, dev: string): Promise<boolean> {
    return this.sim.kernel.linkExists(netnsOf(qube), dev);
  }

  /** Packets counted by the catch-all drop of a provider's antispoof chain. */
  async antispoofDrops(qube: string): Promise<number> {
    const r = await this.sim.execIn(qube, 'nft', ['-j', 'list', 'chain', 'ip', 'qubes', 'antispoof']);
    if (r.status !== 0) return -1;
    const items = (JSON.parse(r.stdout) as { nftables: { rule?: { expr: Record<string, unknown>[] } }[] }).nftables;
    let packets = 0;
    for (const item of items) {
      for (const e of item.rule?.expr ?? []) {
        const counter = e.counter as { packets?: number } | undefined;
        if (counter && item.rule?.expr.some((x) => 'drop' in x)) packets += counter.packets ?? 0;
      }
    }
    return packets;
  }

  async nftChain(qube: string, family: 'ip' | 'ip6', chain: string): Promise<string> {
    const r = await this.sim.execIn(qube, 'nft', ['list', 'chain', family, 'qubes', chain]);
    return r.status === 0 ? r.stdout : '';
  }

  /**
   * A qrexec call made from inside `source` the way a (compromised) qube
   * would: over its own router socket, the only way out it has. The status
   * is qrexec's (126 refused by policy); the reply is the service's bytes.
   */
  async qrexecCall(source: string, target: string, service: string, payload: Buffer) {
    const r = await this.probe(source, ['qrexec', target, service, '--payload', payload.toString('hex')]);
    return { status: r.status ?? -1, reply: Buffer.from(r.reply ?? '', 'hex'), error: r.error };
  }
}

function flags(opts: { bind?: string; timeoutMs?: number }): string[] {
  return [
    ...(opts.bind ? ['--bind', opts.bind] : []),
    ...(opts.timeoutMs ? ['--timeout', String(opts.timeoutMs)] : []),
  ];
}

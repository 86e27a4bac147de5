import type { Simulation } from '../simulation';
import type { SimTopology } from '../topology';
import type { Probes } from './probes';

/** One line of the demo's report: what was checked, whether it held, and the packets that show it. */
export interface CheckLine {
  readonly section: string;
  readonly name: string;
  readonly pass: boolean;
  readonly evidence: string;
}

/** `qnet prefs QUBE --json`, the fields the contract guarantees. */
export interface QubePrefs {
  readonly netvm: string | null;
  readonly provides_network: boolean;
  readonly ip: string | null;
  readonly ip6: string | null;
  /** The qube's own default gateway (its netvm's `gateway`), as qubesd names it. */
  readonly visible_gateway: string | null;
  readonly visible_gateway6: string | null;
  readonly dns: readonly string[] | null;
  readonly mac: string | null;
  /** Xen's domain id while running (-1 halted): the provider's end of its link is `vif<xid>.0`. */
  readonly xid: number;
}

export interface DemoContext {
  readonly sim: Simulation;
  readonly probes: Probes;
  readonly topology: SimTopology;
  /** Progress notes for the reader, e.g. the qnet command a section is about to run. */
  note(text: string): void;
}

export interface DemoSection {
  readonly title: string;
  run(ctx: DemoContext): Promise<CheckLine[]>;
}

export function prefsOf(ctx: DemoContext, qube: string): Promise<QubePrefs> {
  return ctx.sim.qnet.json<QubePrefs>(['prefs', qube]);
}

/** Runs a qnet command as the demo's user would, noting it in the report. */
export async function qnet(ctx: DemoContext, args: string[], input?: string): Promise<string> {
  ctx.note(`$ qnet ${args.map((a) => (a === '' ? "''" : a)).join(' ')}${input ? ' < rules' : ''}`);
  return ctx.sim.qnet.must(args, input);
}

/** App qubes whose traffic and DNS take the netvm chain to sys-net (a VPN qube's clients are the vpn section's). */
export const appQubes = (t: SimTopology) =>
  t.qubes.filter((q) => !q.providesNetwork && q.netvm !== null && !t.qubes.some((p) => p.vpn && p.name === q.netvm));

export function lineMaker(section: string) {
  return (name: string, pass: boolean, evidence: string): CheckLine => ({ section, name, pass, evidence });
}

export const describeProbe = (r: { ok: boolean; error?: string; ms: number }) =>
  r.ok ? `answered in ${r.ms} ms` : `failed: ${r.error ?? 'unknown'} after ${r.ms} ms`;

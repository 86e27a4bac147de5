import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { QubeName } from '../services/schemas/qube-name';
import { BadRequestError, quote } from '../shared/errors/qnet-error';
import { describeIssue } from '../shared/errors/describe-issue';
import defaultTopologyJson from './topologies/default.json';

const Id = z.number().int().min(1).max(9999);

export const SimQubeSpec = z.strictObject({
  name: QubeName,
  qid: Id,
  class: z.enum(['AppVM', 'DispVM', 'StandaloneVM']).default('AppVM'),
  dispid: Id.optional(),
  netvm: QubeName.nullable(),
  providesNetwork: z.boolean().default(false),
  /** This qube's "physical" NIC is cabled to the upstream namespace (what sys-net's NIC is in Qubes). */
  uplink: z.boolean().default(false),
  /** A VPN client runs here: a tunnel to the upstream's VPN server, routes and DNS through it (a sys-vpn). */
  vpn: z.boolean().default(false),
  features: z.record(z.string(), z.string()).default({}),
});
export type SimQubeSpec = z.infer<typeof SimQubeSpec>;

export const SimTopology = z
  .strictObject({
    adminVm: QubeName.default('dom0'),
    qubes: z.array(SimQubeSpec).min(1).max(64),
  })
  .superRefine((t, ctx) => {
    const names = new Set<string>([t.adminVm]);
    const qids = new Set<number>();
    t.qubes.forEach((q, i) => {
      if (names.has(q.name)) ctx.addIssue({ code: 'custom', path: ['qubes', i, 'name'], message: 'duplicate name' });
      if (qids.has(q.qid)) ctx.addIssue({ code: 'custom', path: ['qubes', i, 'qid'], message: 'duplicate qid' });
      names.add(q.name);
      qids.add(q.qid);
    });
    t.qubes.forEach((q, i) => {
      const netvm = q.netvm === null ? undefined : t.qubes.find((p) => p.name === q.netvm);
      if (q.netvm !== null && !netvm?.providesNetwork) {
        ctx.addIssue({ code: 'custom', path: ['qubes', i, 'netvm'], message: 'netvm must be a network provider' });
      }
      if (q.vpn && (q.netvm === null || !q.providesNetwork)) {
        ctx.addIssue({
          code: 'custom',
          path: ['qubes', i, 'vpn'],
          message: 'a VPN qube provides network and has a netvm',
        });
      }
      if (q.uplink && q.netvm !== null) {
        ctx.addIssue({ code: 'custom', path: ['qubes', i, 'uplink'], message: 'an uplink qube has no netvm' });
      }
    });
    if (t.qubes.filter((q) => q.vpn).length > 1) {
      ctx.addIssue({ code: 'custom', path: ['qubes'], message: 'at most one qube runs the VPN client' });
    }
    if (t.qubes.filter((q) => q.uplink).length > 1) {
      ctx.addIssue({ code: 'custom', path: ['qubes'], message: 'at most one qube has the uplink' });
    }
  });
export type SimTopology = z.infer<typeof SimTopology>;

export function parseTopology(untrusted: unknown): SimTopology {
  const parsed = SimTopology.safeParse(untrusted);
  if (!parsed.success) throw new BadRequestError(`topology: ${describeIssue(parsed.error.issues[0])}`);
  return parsed.data;
}

export const DEFAULT_TOPOLOGY: SimTopology = parseTopology(defaultTopologyJson);

export function loadTopology(path: string | undefined): SimTopology {
  if (path === undefined) return DEFAULT_TOPOLOGY;
  let untrusted: unknown;
  try {
    untrusted = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new BadRequestError(`cannot read topology ${quote(path, 200)}: ${(err as Error).message.split('\n')[0]}`);
  }
  return parseTopology(untrusted);
}

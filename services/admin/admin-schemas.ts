import { z } from 'zod';
import { Generation } from '../schemas/generation';

/** Names as qnetd checks them itself; the inventory gives the precise reason a name is refused. */
export const AdminQubeName = z.string().min(1).max(64);
export const AdminService = z.enum(['qubes.NetConfig', 'qubes.FirewallSync', 'qubes.DnsUpdate']);
export type AdminService = z.infer<typeof AdminService>;

/** One push a change caused: the CLI and the SDK wait on these. */
export const PushTarget = z.strictObject({ qube: AdminQubeName, service: AdminService, generation: Generation });
export type PushTarget = z.infer<typeof PushTarget>;

export const ChangeResult = z.strictObject({
  /** The pushes to running qubes this change caused (halted qubes pull at boot). */
  pushes: z.array(PushTarget).max(100_000),
});
export type ChangeResult = z.infer<typeof ChangeResult>;

export const WireFailure = z.strictObject({ code: z.string().max(64), message: z.string().max(1024) });

/** Where one (qube, service) stands: desired against applied, and why it is behind. */
export const PushStatus = z.strictObject({
  qube: AdminQubeName,
  service: AdminService,
  power: z.enum(['running', 'halted']),
  desired: Generation,
  applied: Generation.nullable(),
  state: z.enum(['ok', 'queued', 'pushing', 'failed', 'halted', 'unacknowledged']),
  reason: z.string().max(1200).optional(),
  /** Firewall rules the provider could not install (it drops their traffic meanwhile). */
  ruleFailures: z.number().int().nonnegative().optional(),
  lastError: WireFailure.optional(),
  attempts: z.number().int().nonnegative().optional(),
});
export type PushStatus = z.infer<typeof PushStatus>;

export const PushResult = z.strictObject({
  qube: AdminQubeName,
  service: AdminService,
  generation: Generation,
  outcome: z.enum(['done', 'failed', 'pending', 'skipped']),
  applied: Generation.nullable(),
  error: WireFailure.optional(),
});
export type PushResult = z.infer<typeof PushResult>;

const Address = z.string().max(64).nullable();

/**
 * A qube as `qvm-prefs` shows it: every property with qubesd's name and
 * meaning (qubes/vm/mixin/net.py), plus what only qnet knows (`power`,
 * `ipv6`, `generations`, `netmask`) under names qubesd does not use.
 */
export const QubeInfo = z.strictObject({
  name: AdminQubeName,
  qid: z.number().int(),
  klass: z.string().max(32),
  dispid: z.number().int().nullable(),
  netvm: AdminQubeName.nullable(),
  provides_network: z.boolean(),
  power: z.enum(['running', 'halted']),
  features: z.record(z.string().max(256), z.string().max(4096)),
  /** Admin API lines; null is Qubes's default (no firewall configured: accept all). */
  firewall: z.array(z.string().max(4096)).max(1024).nullable(),
  ip: Address,
  ip6: Address,
  mac: z.string().max(32).nullable(),
  /** What a network-providing qube offers its clients: its own visible address (null unless it provides network). */
  gateway: Address,
  gateway6: Address,
  visible_ip: Address,
  visible_ip6: Address,
  /** The qube's own default gateway: its netvm's `gateway`. */
  visible_gateway: Address,
  visible_gateway6: Address,
  visible_netmask: Address,
  /** DNS1 and DNS2, for a qube that has a netvm or provides network; qubesd prints them space-separated. */
  dns: z.array(z.string().max(64)).max(4).nullable(),
  /** qnet's extra: the host netmask of any networked qube (qubesd's `vm.netmask` attribute, not a property). */
  netmask: Address,
  /** qnet's extra: whether IPv6 is on for this qube (the `ipv6` feature walked up the netvm chain). */
  ipv6: z.boolean(),
  /** Properties holding their default rather than a value set on the qube (qvm-prefs's `D`). */
  defaults: z.array(z.string().max(64)).max(64),
  generations: z.array(PushStatus).max(3),
});
export type QubeInfo = z.infer<typeof QubeInfo>;

/** The network properties, named as qubesd names them (qubes/vm/mixin/net.py), in qvm-prefs's order. */
export const NETWORK_PROPERTIES = [
  'dns',
  'gateway',
  'gateway6',
  'ip',
  'ip6',
  'mac',
  'netvm',
  'provides_network',
  'visible_gateway',
  'visible_gateway6',
  'visible_ip',
  'visible_ip6',
  'visible_netmask',
] as const satisfies readonly (keyof QubeInfo)[];

export const QnetdEvent = z.strictObject({
  seq: z.number().int().nonnegative(),
  type: z.enum(['push-done', 'push-failed']),
  qube: AdminQubeName,
  service: AdminService,
  generation: Generation,
  at: z.number(),
  attempts: z.number().int().nonnegative(),
  error: WireFailure.optional(),
});
export type QnetdEvent = z.infer<typeof QnetdEvent>;

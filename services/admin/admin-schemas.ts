import { z } from 'zod';
import { FeatureName, FeatureValue } from '../schemas/feature-name';
import { Generation } from '../schemas/generation';
import { QUBE_NAME_RE } from '../schemas/qube-name';

/**
 * Qubes's name syntax, checked at the door: a name never starts with "-", so
 * none can pass for an option in a qrexec-client or qvm-* command line.
 */
export const AdminQubeName = z
  .string()
  .min(1)
  .max(31)
  .regex(QUBE_NAME_RE, 'expected a qube name: a letter, then letters, digits, "_", "." or "-"');
/** An opaque digest of a qube's firewall rules (see SetFirewall's expectedRevision). */
export const FirewallRevision = z.string().regex(/^[0-9a-f]{1,64}$/, 'expected a firewall revision');

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

/** A qube as `qvm-prefs` would show it, plus what qnet derived for its network. */
export const QubeInfo = z.strictObject({
  name: AdminQubeName,
  qid: z.number().int(),
  klass: z.string().max(32),
  dispid: z.number().int().nullable(),
  netvm: AdminQubeName.nullable(),
  provides_network: z.boolean(),
  power: z.enum(['running', 'halted']),
  /**
   * [name, value] pairs in name order. Not an object: a feature may be named
   * `__proto__`, which object-shaped msgpack and JSON readers mangle or drop.
   */
  features: z.array(z.tuple([FeatureName, FeatureValue])).max(4096),
  /** Admin API lines; null is Qubes's default (no firewall configured: accept all). */
  firewall: z.array(z.string().max(4096)).max(1024).nullable(),
  /**
   * Why qnet cannot send this qube's firewall (a live rule Qubes accepts but
   * the provider could not install); its traffic is then dropped, all of it.
   */
  firewall_error: z.string().max(1200).nullable(),
  /** Pass it back as SetFirewall's `expectedRevision` to replace the rules only if they are still these. */
  firewall_revision: FirewallRevision,
  ip: z.string().max(64).nullable(),
  ip6: z.string().max(64).nullable(),
  visible_ip: z.string().max(64).nullable(),
  visible_ip6: z.string().max(64).nullable(),
  /** The gateway this qube uses: its netvm's address (DESIGN §3), as in the pushed uplink. */
  gateway: z.string().max(64).nullable(),
  gateway6: z.string().max(64).nullable(),
  netmask: z.string().max(64).nullable(),
  dns: z.array(z.string().max(64)).max(4).nullable(),
  mac: z.string().max(32).nullable(),
  ipv6: z.boolean(),
  generations: z.array(PushStatus).max(3),
});
export type QubeInfo = z.infer<typeof QubeInfo>;

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

import { z } from 'zod';
import { Generation } from '../schemas/generation';

/** Names as qnetd checks them itself; the inventory gives the precise reason a name is refused. */
export const AdminQubeName = z.string().min(1).max(64);
export const AdminService = z.enum(['qubes.NetConfig', 'qubes.FirewallSync', 'qubes.DnsUpdate']);
export type AdminService = z.infer<typeof AdminService>;

/**
 * One push a change (or `qnet push`) asked for: the CLI and the SDK wait on these. `push` is the
 * request's own identity: its outcome is that of a send made after it was asked for, never an older one.
 */
export const PushTarget = z.strictObject({
  qube: AdminQubeName,
  service: AdminService,
  generation: Generation,
  push: z.number().int().positive(),
});
export type PushTarget = z.infer<typeof PushTarget>;

export const ChangeResult = z.strictObject({
  /** The pushes to running qubes this change caused (halted qubes pull at boot). */
  pushes: z.array(PushTarget).max(100_000),
});
export type ChangeResult = z.infer<typeof ChangeResult>;

export const WireFailure = z.strictObject({ code: z.string().max(64), message: z.string().max(1024) });

/** A firewall rule a provider could not install (it drops that rule's traffic meanwhile). */
export const RuleFailureReport = z.strictObject({
  /** The client qube whose rule it is. */
  client: z.string().max(64),
  /** Its number among the client's live rules, from 0 (as `qnet firewall QUBE list`); absent for the whole client. */
  rule: z.number().int().nonnegative().optional(),
  /** The rule in Admin API form, as dom0 sent it. */
  text: z.string().max(4200).optional(),
  /** Why, as the provider's agent said. */
  message: z.string().max(1024),
});
export type RuleFailureReport = z.infer<typeof RuleFailureReport>;
const RuleFailureReports = z.array(RuleFailureReport).max(4096);

/** Where one (qube, service) stands: desired against applied, and why it is behind. */
export const PushStatus = z.strictObject({
  qube: AdminQubeName,
  service: AdminService,
  power: z.enum(['running', 'halted']),
  desired: Generation,
  applied: Generation.nullable(),
  /**
   * ok: the qube acknowledged the desired generation. retrying: the last try failed and qnetd tries again
   * at `nextRetryAt` (backoff capped, for as long as the qube runs). applying: the qube accepted the
   * document and applies it later; qnetd checks again. The rest say why nothing was tried yet.
   */
  state: z.enum(['ok', 'queued', 'pushing', 'applying', 'retrying', 'halted', 'unacknowledged']),
  reason: z.string().max(1200).optional(),
  /** Firewall rules the provider could not install (it drops their traffic meanwhile). */
  ruleFailures: RuleFailureReports.optional(),
  lastError: WireFailure.optional(),
  /** Tries since the last acknowledgement that did not succeed. */
  attempts: z.number().int().nonnegative().optional(),
  /** When the next try is due (ms since the epoch). */
  nextRetryAt: z.number().optional(),
});
export type PushStatus = z.infer<typeof PushStatus>;

export const PushResult = z.strictObject({
  qube: AdminQubeName,
  service: AdminService,
  generation: Generation,
  push: z.number().int().positive(),
  /**
   * done: acknowledged by a send made for this push. failed: every one of the first tries made for it
   * failed (qnetd keeps retrying in the background; `qnet status` follows it). skipped: the qube halted or
   * its document went away.
   */
  outcome: z.enum(['done', 'failed', 'pending', 'skipped']),
  applied: Generation.nullable(),
  error: WireFailure.optional(),
  attempts: z.number().int().nonnegative().optional(),
  ruleFailures: RuleFailureReports.optional(),
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
  features: z.record(z.string().max(256), z.string().max(4096)),
  /** Admin API lines; null is Qubes's default (no firewall configured: accept all). */
  firewall: z.array(z.string().max(4096)).max(1024).nullable(),
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
  /** push-failed: when qnetd tries again. */
  nextRetryAt: z.number().optional(),
  /** push-done of a FirewallSync: the rules the provider could not install. */
  ruleFailures: RuleFailureReports.optional(),
});
export type QnetdEvent = z.infer<typeof QnetdEvent>;

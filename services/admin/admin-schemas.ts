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
  // Said in words: these reach `qnet` users as they are (zod's defaults name its own terms).
  .min(1, 'expected a qube name, got an empty one')
  .max(31, 'a qube name is at most 31 characters')
  .regex(QUBE_NAME_RE, 'expected a qube name: a letter, then letters, digits, "_", "." or "-"');
/** An opaque digest of a qube's firewall rules (see SetFirewall's expectedRevision). */
export const FirewallRevision = z.string().regex(/^[0-9a-f]{1,64}$/, 'expected a firewall revision');

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
  /** This qube's rules cannot be sent: its netvm drops all its traffic until they are fixed. */
  firewallError: z.string().max(1200).optional(),
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

const Address = z.string().max(64).nullable();

/** Qubes' default labels (qvm-create -l takes one of them); qubesd may know more, added by an admin. */
export const QUBE_LABELS = ['red', 'orange', 'yellow', 'green', 'gray', 'blue', 'purple', 'black'] as const;
/** A label's name as qubesd stores it. */
export const QubeLabel = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/);

/**
 * A qube as `qvm-prefs` shows it: every property with qubesd's name and
 * meaning (qubes/vm/mixin/net.py), plus what only qnet knows (`power`,
 * `ipv6`, `generations`, `netmask`) under names qubesd does not use.
 */
export const QubeInfo = z.strictObject({
  name: AdminQubeName,
  qid: z.number().int(),
  /** Xen's domain id while the qube runs (a new one at every start), -1 when it does not, as qubesd's `xid`. */
  xid: z.number().int().min(-1),
  klass: z.string().max(32),
  dispid: z.number().int().nullable(),
  netvm: AdminQubeName.nullable(),
  provides_network: z.boolean(),
  power: z.enum(['running', 'halted']),
  /** The qube's label (`qvm-prefs QUBE label`); null when it was created without one. */
  label: QubeLabel.nullable().optional(),
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
  /** push-failed: when qnetd tries again. */
  nextRetryAt: z.number().optional(),
  /** push-done of a FirewallSync: the rules the provider could not install. */
  ruleFailures: RuleFailureReports.optional(),
  /** What made qnetd push: the `cause` of the qube event (or the startup, resync, `qnet push`) behind it. */
  cause: z.string().max(160).optional(),
});
export type QnetdEvent = z.infer<typeof QnetdEvent>;

/**
 * A change to a qube, named as qubesadmin's events are (`property-set:netvm`,
 * `domain-start`, `domain-shutdown`, `feature-set:NAME`, `feature-delete:NAME`,
 * `firewall-changed`, `domain-add`, `domain-delete`), with their arguments as
 * strings (null for none). `cause` is shared with the push events it led to.
 */
export const QubeEvent = z.strictObject({
  seq: z.number().int().nonnegative(),
  type: z.literal('qube-event'),
  event: z
    .string()
    .max(96)
    .regex(/^[a-z][a-z-]*(:[A-Za-z0-9_.-]+)?$/),
  qube: AdminQubeName,
  at: z.number(),
  cause: z.string().max(160),
  args: z.record(z.string().max(32), z.string().max(4096).nullable()),
});
export type QubeEvent = z.infer<typeof QubeEvent>;

/** What the event poll returns: push outcomes and qube changes, in the order they happened. */
export const AdminEvent = z.union([QnetdEvent, QubeEvent]);
export type AdminEvent = z.infer<typeof AdminEvent>;

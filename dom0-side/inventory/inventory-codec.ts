import { z } from 'zod';
import { describeIssue } from '../../shared/errors/describe-issue';
import { QnetError } from '../../shared/errors/qnet-error';
import { parseApiRule } from '../firewall/parse-api-rule';
import { FirewallRuleError } from '../firewall/firewall-rule-error';
import { type FirewallRuleModel } from '../firewall/rule-model';
import { firewallLines } from './firewall-lines';
import { Inventory } from './inventory';
import { toFeaturePairs, toFeatureRecord } from './feature-record';
import { QUBE_CLASSES, type Qube } from './qube';

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

export const STATE_FORMAT = 'qnet-inventory';
export const STATE_VERSION = 1;

/**
 * One qube in the state file. Field names follow qvm-prefs; firewall rules
 * are stored as Admin API lines (the form Qubes itself reads and writes),
 * `null` meaning "no firewall configured" (accept everything).
 */
const StoredQube = z.strictObject({
  name: z.string().max(64),
  qid: z.number().int(),
  class: z.enum(QUBE_CLASSES as [string, ...string[]]),
  dispid: z.number().int().optional(),
  netvm: z.string().max(64).nullable(),
  provides_network: z.boolean(),
  // Not z.record: it drops a key named __proto__, which is a valid feature name.
  features: z.custom<Record<string, unknown>>(isPlainRecord, 'expected an object of features').transform((o, ctx) => {
    const entries = Object.entries(o);
    for (const [name, value] of entries) {
      if (name.length > 256 || typeof value !== 'string' || value.length > 4096) {
        ctx.addIssue({
          code: 'custom',
          message: `feature ${JSON.stringify(name.slice(0, 64))}: not a string of at most 4096`,
        });
        return z.NEVER;
      }
    }
    return toFeatureRecord(entries as [string, string][]);
  }),
  tags: z.array(z.string().max(256)).max(256),
  firewall: z.array(z.string().max(4096)).max(1024).nullable(),
  power: z.enum(['running', 'halted']),
  ip: z.string().max(64).optional(),
  ip6: z.string().max(64).optional(),
  mac: z.string().max(32).optional(),
  label: z
    .string()
    .regex(/^[a-z][a-z0-9_-]{0,31}$/)
    .optional(),
  /** Properties at Qubes's default (not set on the qube): netvm then follows default_netvm. */
  defaults: z
    .array(z.enum(['netvm', 'provides_network']))
    .max(2)
    .optional(),
});
type StoredQube = z.infer<typeof StoredQube>;

const StoredInventory = z.strictObject({
  format: z.literal(STATE_FORMAT),
  version: z.literal(STATE_VERSION),
  /** Qubes's global `default_netvm`; absent is None, as in a fresh Qubes. */
  default_netvm: z.string().max(64).nullable().optional(),
  qubes: z.array(StoredQube).max(10000),
});

export function toStoredText(inventory: Inventory): string {
  const qubes: StoredQube[] = inventory.list().map((q) => ({
    name: q.name,
    qid: q.qid,
    class: q.klass,
    ...(q.dispid !== undefined ? { dispid: q.dispid } : {}),
    netvm: q.netvm,
    provides_network: q.providesNetwork,
    features: toFeatureRecord(toFeaturePairs(q.features)),
    tags: [...q.tags],
    firewall: firewallLines(q),
    power: q.power,
    ...(q.ip !== undefined ? { ip: q.ip } : {}),
    ...(q.ip6 !== undefined ? { ip6: q.ip6 } : {}),
    ...(q.mac !== undefined ? { mac: q.mac } : {}),
    ...(q.label !== undefined ? { label: q.label } : {}),
    ...storedDefaults(q),
  }));
  const globals = inventory.defaultNetvm === null ? {} : { default_netvm: inventory.defaultNetvm };
  return `${JSON.stringify({ format: STATE_FORMAT, version: STATE_VERSION, ...globals, qubes }, null, 2)}\n`;
}

function storedDefaults(q: Qube): Pick<StoredQube, 'defaults'> {
  const defaults: ('netvm' | 'provides_network')[] = [];
  if (q.netvmIsDefault === true) defaults.push('netvm');
  if (q.providesNetworkIsDefault === true) defaults.push('provides_network');
  return defaults.length === 0 ? {} : { defaults };
}

/** Why the text is not a valid state; the store wraps it with the file's path. */
export class InvalidStateTextError extends Error {}

export function parseStoredText(untrustedText: string): Inventory {
  let untrustedValue: unknown;
  try {
    untrustedValue = JSON.parse(untrustedText);
  } catch (err) {
    throw new InvalidStateTextError(`not JSON (${err instanceof Error ? err.message.split('\n')[0] : 'parse error'})`);
  }
  const parsed = StoredInventory.safeParse(untrustedValue);
  if (!parsed.success) throw new InvalidStateTextError(describeIssue(parsed.error.issues[0]));
  try {
    return Inventory.of(parsed.data.qubes.map(fromStored), { defaultNetvm: parsed.data.default_netvm ?? null });
  } catch (err) {
    if (err instanceof QnetError) throw new InvalidStateTextError(err.message);
    throw err;
  }
}

function fromStored(s: StoredQube): Qube {
  return {
    name: s.name,
    qid: s.qid,
    klass: s.class as Qube['klass'],
    ...(s.dispid !== undefined ? { dispid: s.dispid } : {}),
    netvm: s.netvm,
    providesNetwork: s.provides_network,
    features: s.features,
    tags: s.tags,
    ...(s.firewall !== null ? storedFirewall(s.firewall) : {}),
    power: s.power,
    ...(s.ip !== undefined ? { ip: s.ip } : {}),
    ...(s.ip6 !== undefined ? { ip6: s.ip6 } : {}),
    ...(s.mac !== undefined ? { mac: s.mac } : {}),
    ...(s.label !== undefined ? { label: s.label } : {}),
    ...(s.defaults?.includes('netvm') ? { netvmIsDefault: true } : {}),
    ...(s.defaults?.includes('provides_network') ? { providesNetworkIsDefault: true } : {}),
  };
}

/**
 * Stored rules back to models. A line this version refuses (older qnet took
 * dstports=65536 and a negative expire=, as older qubesd did) must not make
 * the whole inventory unreadable: that qube keeps its lines as written and
 * its firewall fails closed until someone replaces them.
 */
function storedFirewall(lines: readonly string[]): Pick<Qube, 'firewall' | 'unparsedFirewall'> {
  const firewall: FirewallRuleModel[] = [];
  for (const [i, line] of lines.entries()) {
    try {
      firewall.push(parseApiRule(line));
    } catch (err) {
      if (!(err instanceof FirewallRuleError)) throw err;
      return {
        firewall: [],
        unparsedFirewall: { lines: [...lines], error: `stored rule ${i} is refused: ${err.message}` },
      };
    }
  }
  return { firewall };
}

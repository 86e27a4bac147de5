import { quote } from '../../shared/errors/qnet-error';
import { FirewallRuleError } from './firewall-rule-error';
import {
  parseAction,
  parseComment,
  parseDstHost,
  parseDstPorts,
  parseExpire,
  parseIcmpType,
  parseProto,
  parseSpecialTarget,
  pyStrip,
} from './rule-fields';
import type { FirewallRuleModel } from './rule-model';

/** Keys of Qubes's `Rule` properties; `comment` can never be one (it is split off first). */
const PROPERTY_KEYS = new Set(['action', 'proto', 'dsthost', 'dstports', 'icmptype', 'specialtarget', 'expire']);
/** Aliases Qubes stores as `dsthost`: a destination may be given once, under any of these names. */
const DSTHOST_ALIASES = new Set(['dst4', 'dst6', 'dstname']);

type RawRule = Map<string, string>;

/**
 * Splits an Admin API line the way `Rule.from_api_string` does: everything
 * after the first `comment=` is the comment, the rest is single-space
 * separated `key=value` (two spaces in a row make an empty, invalid option).
 * Line breaks are the list's business (see parseAdminRuleLine).
 */
export function splitApiRule(untrustedLine: string): RawRule {
  // qubesd decodes the payload as strict ASCII before any rule code runs.
  for (let i = 0; i < untrustedLine.length; i++) {
    if (untrustedLine.charCodeAt(i) > 0x7f) throw new FirewallRuleError('rule is not ASCII');
  }
  const at = untrustedLine.indexOf('comment=');
  const options = at < 0 ? untrustedLine : untrustedLine.slice(0, at);
  const comment = at < 0 ? '' : untrustedLine.slice(at + 'comment='.length);
  const raw: RawRule = new Map();
  if (comment !== '') raw.set('comment', comment);
  for (const option of pyStrip(options).split(' ')) {
    const eq = option.indexOf('=');
    if (eq < 0) throw new FirewallRuleError(`expected key=value, got ${quote(option)}`);
    const key = option.slice(0, eq);
    const value = option.slice(eq + 1);
    const stored = DSTHOST_ALIASES.has(key) ? 'dsthost' : key;
    if (raw.has(stored)) throw new FirewallRuleError(`option ${quote(stored)} already set`);
    if (!PROPERTY_KEYS.has(stored)) throw new FirewallRuleError(`unknown firewall option ${quote(key)}`);
    raw.set(stored, value);
  }
  return raw;
}

/** Builds and cross-checks a rule from raw element texts, as Qubes's `Rule(**kwargs)` does. */
export function buildRule(raw: RawRule): FirewallRuleModel {
  const text = (key: string) => raw.get(key);
  const actionText = text('action');
  const rule = {
    action: actionText === undefined ? undefined : parseAction(actionText),
    proto: mapDefined(text('proto'), parseProto),
    dst: mapDefined(text('dsthost'), parseDstHost),
    specialtarget: mapDefined(text('specialtarget'), parseSpecialTarget),
    dstports: mapDefined(text('dstports'), parseDstPorts),
    icmptype: mapDefined(text('icmptype'), parseIcmpType),
    expire: mapDefined(text('expire'), parseExpire),
    comment: mapDefined(text('comment'), parseComment),
  };
  if (rule.dstports && rule.proto !== 'tcp' && rule.proto !== 'udp') {
    throw new FirewallRuleError('dstports valid only for tcp and udp protocols');
  }
  if (rule.icmptype !== undefined && rule.proto !== 'icmp') {
    throw new FirewallRuleError('icmptype valid only for icmp protocol');
  }
  if (rule.action === undefined) throw new FirewallRuleError('missing action');
  return dropUndefined({ ...rule, action: rule.action });
}

/** `qubes.firewall.Rule.from_api_string`: one Admin API line to a rule, or a FirewallRuleError. */
export function parseApiRule(untrustedLine: string): FirewallRuleModel {
  return buildRule(splitApiRule(untrustedLine));
}

function mapDefined<T>(value: string | undefined, parse: (v: string) => T): T | undefined {
  return value === undefined ? undefined : parse(value);
}

/** Absent fields stay absent, so two equal rules are deep-equal and serialize alike. */
function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** \n \v \f \r and the ASCII file/group/record separators: where Python's splitlines() breaks. */
const PYTHON_LINE_BREAKS = '\n\x0b\x0c\r\x1c\x1d\x1e';

/**
 * One entry of an admin firewall list. qubesd receives the list as one
 * payload and splits it with splitlines(), so an entry holding a line break
 * would be two rules there; qnet refuses it rather than guess.
 */
export function parseAdminRuleLine(untrustedLine: string): FirewallRuleModel {
  if ([...untrustedLine].some((c) => PYTHON_LINE_BREAKS.includes(c)))
    throw new FirewallRuleError('rule contains a line break');
  return parseApiRule(untrustedLine);
}

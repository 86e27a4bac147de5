import { quote } from '../../shared/errors/qnet-error';
import { isIpv4 } from '../../shared/net/ipv4';
import { isIpv6 } from '../../shared/net/ipv6';
import { FirewallRuleError } from './firewall-rule-error';
import type { PortRange, RuleAction, RuleDestination, RuleExpire, RuleProto } from './rule-model';

// Validators for single rule elements, shared by the Admin API parser and the
// qvm-firewall front end. Each reproduces what Qubes's option class accepts.

/** Characters Qubes's `RuleOption` allows in any value (a subset of punctuation). */
const SAFE_VALUE = /^[A-Za-z0-9:;,./\-_[\]]*$/;
/** The comment's set: the same plus space. */
const SAFE_COMMENT = /^[A-Za-z0-9:;,./\-_[\] ]*$/;
const SAFE_HOSTNAME = /^[a-z0-9\-._]*$/;

/** What Python's str.strip() treats as whitespace, within ASCII (str.isspace()). */
const PY_STR_SPACE = ' \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f';
/**
 * What Python's int() skips around the digits: only C isspace(). It passes
 * ASCII through unchanged, so the separators \x1c-\x1f that strip() removes
 * make int() fail.
 */
const PY_INT_SPACE = ' \t\n\r\x0b\x0c';

function stripChars(text: string, chars: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && chars.includes(text[start])) start++;
  while (end > start && chars.includes(text[end - 1])) end--;
  return text.slice(start, end);
}

export function pyStrip(text: string): string {
  return stripChars(text, PY_STR_SPACE);
}

/**
 * Python's `int(text)` for ASCII input: surrounding whitespace, a sign, and
 * single underscores between digits are all accepted there, so Qubes accepts
 * them too. Returns undefined where Python raises.
 */
export function parsePythonInt(text: string): number | undefined {
  const body = stripChars(text, PY_INT_SPACE);
  if (!/^[+-]?[0-9](?:_?[0-9])*$/.test(body)) return undefined;
  // CPython refuses to convert more than 4300 digits.
  if (body.replace(/[^0-9]/g, '').length > 4300) return undefined;
  const value = Number(body.replace(/_/g, ''));
  return Number.isSafeInteger(value) ? value : undefined;
}

function requireInt(what: string, text: string): number {
  const value = parsePythonInt(text);
  if (value === undefined) throw new FirewallRuleError(`${what}: ${quote(text)} is not an integer`);
  return value;
}

export function parseAction(text: string): RuleAction {
  if (text === 'accept' || text === 'drop') return text;
  throw new FirewallRuleError(`action: expected accept or drop, got ${quote(text)}`);
}

export function parseProto(text: string): RuleProto {
  if (text === 'tcp' || text === 'udp' || text === 'icmp') return text;
  throw new FirewallRuleError(`proto: expected tcp, udp or icmp, got ${quote(text)}`);
}

export function parseSpecialTarget(text: string): 'dns' {
  if (text === 'dns') return text;
  throw new FirewallRuleError(`specialtarget: only dns is supported, got ${quote(text)}`);
}

/** IPv4 exactly as glibc's inet_pton takes it (four decimal parts, no leading zeros). */
const isInetPton4 = isIpv4;
/** IPv6 as inet_pton takes it (no zone id, optional dotted tail). */
const isInetPton6 = isIpv6;

/**
 * Qubes's `DstHost`: an IPv6 or IPv4 address (a bare one gains /128 or /32),
 * a network `addr/len`, or a host name of `[a-z0-9._-]`. The family comes from
 * the value, never from the key it was given under. The qvm-firewall client
 * skips the safe-set check (qubesd applies it to what the client sends).
 */
export function parseDstHost(text: string, checkSafeSet = true): RuleDestination {
  const slashes = text.split('/').length - 1;
  if (slashes > 1) throw new FirewallRuleError(`dsthost: too many "/" in ${quote(text)}`);
  if (slashes === 0) {
    if (isInetPton6(text)) return { kind: 'dst6', address: text, prefixlen: 128, text: `${text}/128` };
    if (isInetPton4(text)) return { kind: 'dst4', address: text, prefixlen: 32, text: `${text}/32` };
    if (!SAFE_HOSTNAME.test(text)) {
      throw new FirewallRuleError(`dsthost: ${quote(text)} is not an address and not a lower-case host name`);
    }
    return { kind: 'dsthost', text };
  }
  const [host, lenText] = text.split('/');
  const prefixlen = requireInt('dsthost prefix length', lenText);
  if (prefixlen < 0) throw new FirewallRuleError('dsthost: prefix length must be non-negative');
  let kind: 'dst4' | 'dst6';
  if (isInetPton6(host)) {
    if (prefixlen > 128) throw new FirewallRuleError('dsthost: prefix length for IPv6 must be at most 128');
    kind = 'dst6';
  } else if (isInetPton4(host)) {
    if (prefixlen > 32) throw new FirewallRuleError('dsthost: prefix length for IPv4 must be at most 32');
    kind = 'dst4';
  } else {
    throw new FirewallRuleError(`dsthost: ${quote(host)} is not an IP address`);
  }
  // Qubes keeps the network text as written, so it must pass the generic value check.
  if (checkSafeSet && !SAFE_VALUE.test(text)) {
    throw new FirewallRuleError(`dsthost: ${quote(text)} has characters outside the safe set`);
  }
  return { kind, address: host, prefixlen, text };
}

/** `N` or `N-M`. Qubes's bound is 65536, one above the last real port; we accept what it accepts. */
export function parseDstPorts(text: string): PortRange {
  const dashes = text.split('-').length - 1;
  if (dashes > 1) throw new FirewallRuleError(`dstports: expected N or N-M, got ${quote(text)}`);
  const [first, second] = dashes === 1 ? text.split('-') : [text, text];
  const from = requireInt('dstports', first);
  const to = requireInt('dstports', second);
  if (from < 0 || from > 65536 || to < 0 || to > 65536) throw new FirewallRuleError('dstports: ports out of range');
  if (from > to) throw new FirewallRuleError('dstports: range start is after its end');
  return { from, to };
}

export function parseIcmpType(text: string): number {
  const value = requireInt('icmptype', text);
  if (value < 0 || value > 255) throw new FirewallRuleError('icmptype: out of range 0-255');
  return value;
}

/**
 * The times qubesd's `datetime.fromtimestamp(int(expire))` takes in a UTC
 * dom0: years 1 to 9999, except the first day of year 1, because its fold
 * check also converts the time one day earlier (year 0, which raises).
 * qvm-firewall's own check (utcfromtimestamp) is wider, so this bound decides.
 */
const MIN_EXPIRE = -62135596800 + 86400;
const MAX_EXPIRE = 253402300799;

export function parseExpire(text: string, checkSafeSet = true): RuleExpire {
  if (checkSafeSet && !SAFE_VALUE.test(text)) {
    throw new FirewallRuleError(`expire: ${quote(text)} has characters outside the safe set`);
  }
  const at = requireInt('expire', text);
  if (at < MIN_EXPIRE || at > MAX_EXPIRE) throw new FirewallRuleError('expire: timestamp out of range');
  return { at, text };
}

export function parseComment(text: string): string {
  if (!SAFE_COMMENT.test(text)) {
    throw new FirewallRuleError(`comment: only letters, digits, space and :;,./-_[] are allowed`);
  }
  return text;
}

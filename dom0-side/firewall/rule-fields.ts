import { quote } from '../../shared/errors/qnet-error';
import { isIpv4 } from '../../shared/net/ipv4';
import { isIpv6 } from '../../shared/net/ipv6';
import { FirewallRuleError } from './firewall-rule-error';
import { isAsciiDigits, parsePythonInt } from './python-int';
import type { PortRange, RuleAction, RuleDestination, RuleExpire, RuleProto } from './rule-model';

// qubesd's validators for single rule elements (qubes/firewall.py option
// classes), as the Admin API applies them. Text reaching them is ASCII:
// qubesd decodes its payload strictly before any rule code runs.

/** Characters Qubes's `RuleOption` allows in any value (a subset of punctuation). */
const SAFE_VALUE = /^[A-Za-z0-9:;,./\-_[\]]*$/;
/** The comment's set: the same plus space. */
const SAFE_COMMENT = /^[A-Za-z0-9:;,./\-_[\] ]*$/;
/** `DstHost`'s host-name set; the empty name is in it too (all() of nothing is true). */
const SAFE_HOSTNAME = /^[a-z0-9\-._]*$/;

/** What Python's str.strip() treats as whitespace, within ASCII (str.isspace()). */
const PY_STR_SPACE = ' \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f';

export function pyStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && PY_STR_SPACE.includes(text[start])) start++;
  while (end > start && PY_STR_SPACE.includes(text[end - 1])) end--;
  return text.slice(start, end);
}

export function requireInt(what: string, text: string): number {
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
export const isInetPton4 = isIpv4;
/** IPv6 as inet_pton takes it (no zone id, optional dotted tail). */
export const isInetPton6 = isIpv6;

export function checkPrefixLength(kind: 'dst4' | 'dst6', prefixlen: number): void {
  if (prefixlen < 0) throw new FirewallRuleError('dsthost: prefix length must be non-negative');
  if (kind === 'dst6' && prefixlen > 128)
    throw new FirewallRuleError('dsthost: prefix length for IPv6 must be at most 128');
  if (kind === 'dst4' && prefixlen > 32)
    throw new FirewallRuleError('dsthost: prefix length for IPv4 must be at most 32');
}

/** The family inet_pton finds in an address text (IPv6 is tried first, as Qubes does). */
export function addressKind(host: string): 'dst4' | 'dst6' | undefined {
  if (isInetPton6(host)) return 'dst6';
  if (isInetPton4(host)) return 'dst4';
  return undefined;
}

/**
 * qubesd's `DstHost`: an IPv6 or IPv4 address (a bare one gains /128 or
 * /32), a network `addr/len` with len in ASCII digits, or else anything made
 * of `[a-z0-9._-]` as a host name, the empty text included: qubesd checks
 * only the characters, not DNS syntax. The family comes from the value, never
 * from the key it was given under.
 */
export function parseDstHost(text: string): RuleDestination {
  const slashes = text.split('/').length - 1;
  if (slashes > 1) throw new FirewallRuleError(`dsthost: too many "/" in ${quote(text)}`);
  if (slashes === 0) {
    const kind = addressKind(text);
    if (kind === 'dst6') return { kind, address: text, prefixlen: 128, text: `${text}/128` };
    if (kind === 'dst4') return { kind, address: text, prefixlen: 32, text: `${text}/32` };
    if (!SAFE_HOSTNAME.test(text)) {
      throw new FirewallRuleError(`dsthost: ${quote(text)} is not an address and not a lower-case host name`);
    }
    return { kind: 'dsthost', text };
  }
  const [host, lenText] = text.split('/');
  if (!isAsciiDigits(lenText)) throw new FirewallRuleError(`dsthost: bad prefix length ${quote(lenText)}`);
  const prefixlen = requireInt('dsthost prefix length', lenText);
  const kind = addressKind(host);
  if (kind === undefined) throw new FirewallRuleError(`dsthost: ${quote(host)} is not an IP address`);
  checkPrefixLength(kind, prefixlen);
  // Qubes keeps the network text as written (digits and address characters only, so always in the safe set).
  if (!SAFE_VALUE.test(text))
    throw new FirewallRuleError(`dsthost: ${quote(text)} has characters outside the safe set`);
  return { kind, address: host, prefixlen, text };
}

/** Ports as 0-65535; Python's int() reads each side, so `+80` or `8_0` are port 80. */
export function toPortRange(text: string, lastPort: number): PortRange {
  const dashes = text.split('-').length - 1;
  if (dashes > 1) throw new FirewallRuleError(`dstports: expected N or N-M, got ${quote(text)}`);
  const [first, second] = dashes === 1 ? text.split('-') : [text, text];
  const from = requireInt('dstports', first);
  const to = requireInt('dstports', second);
  if (from < 0 || from > lastPort || to < 0 || to > lastPort) {
    throw new FirewallRuleError(`dstports: ports out of range 0-${lastPort}`);
  }
  if (from > to) throw new FirewallRuleError('dstports: range start is after its end');
  return { from, to };
}

/** qubesd's `DstPorts`: `N` or `N-M`, every port below 65536. */
export function parseDstPorts(text: string): PortRange {
  return toPortRange(text, 65535);
}

/** qubesd's `IcmpType`: at most three ASCII digits (so `008`, never `+8` or `0008`), 0-255. */
export function parseIcmpType(text: string): number {
  if (text.length > 3 || !isAsciiDigits(text)) throw new FirewallRuleError(`icmptype: bad ICMP type ${quote(text)}`);
  const value = Number(text);
  if (value > 255) throw new FirewallRuleError('icmptype: out of range 0-255');
  return value;
}

/**
 * The times `datetime.fromtimestamp(int(expire))` takes in a UTC dom0: up
 * to the last second of year 9999. qubesd takes only ASCII digits, so no
 * time before 1970 can be written.
 */
export const MAX_EXPIRE = 253402300799;

/** qubesd's `Expire`: safe characters, then ASCII digits only, then a representable time. */
export function parseExpire(text: string): RuleExpire {
  if (!SAFE_VALUE.test(text)) throw new FirewallRuleError(`expire: ${quote(text)} has characters outside the safe set`);
  if (!isAsciiDigits(text)) throw new FirewallRuleError(`expire: bad expiration time ${quote(text)}`);
  const at = parsePythonInt(text);
  if (at === undefined || at > MAX_EXPIRE) throw new FirewallRuleError('expire: timestamp out of range');
  return { at, text };
}

export function parseComment(text: string): string {
  if (!SAFE_COMMENT.test(text)) {
    throw new FirewallRuleError(`comment: only letters, digits, space and :;,./-_[] are allowed`);
  }
  return text;
}

import { quote } from '../../shared/errors/qnet-error';
import { FirewallRuleError } from './firewall-rule-error';
import { addressKind, checkPrefixLength, requireInt, toPortRange } from './rule-fields';

// The qvm-firewall client's own element checks (qubesadmin/firewall.py).
// They are looser than qubesd's (Python int() everywhere, no character
// set), but where the client converts a value, what it *sends* is the
// converted text, so qubesd never sees the original spelling.

/** A 0.0.0.0/0 or ::/0 destination limits nothing; the client sends no dsthost for it. */
export type ClientDstHost = { readonly send: string } | { readonly send: undefined };

/**
 * The client's `DstHost`: an address keeps its text (bare ones gain /32 or
 * /128); a prefix is read with Python's int(), so `0.0.0.0/+0` is prefix 0
 * and is dropped. Host names must be `[a-z0-9._-]`.
 */
export function clientDstHost(text: string): ClientDstHost {
  const slashes = text.split('/').length - 1;
  if (slashes > 1) throw new FirewallRuleError(`dsthost: too many "/" in ${quote(text)}`);
  if (slashes === 0) {
    const kind = addressKind(text);
    if (kind === 'dst6') return { send: `dst6=${text}/128` };
    if (kind === 'dst4') return { send: `dst4=${text}/32` };
    if (!/^[a-z0-9\-._]*$/.test(text)) {
      throw new FirewallRuleError(`dsthost: ${quote(text)} is not an address and not a lower-case host name`);
    }
    return { send: `dsthost=${text}` };
  }
  const [host, lenText] = text.split('/');
  const prefixlen = requireInt('dsthost prefix length', lenText);
  if (prefixlen < 0) throw new FirewallRuleError('dsthost: prefix length must be non-negative');
  const kind = addressKind(host);
  if (kind === undefined) throw new FirewallRuleError(`dsthost: ${quote(host)} is not an IP address`);
  checkPrefixLength(kind, prefixlen);
  return prefixlen === 0 ? { send: undefined } : { send: `${kind}=${text}` };
}

/** The client's `DstPorts`: its bound is 65536 (qubesd's is 65535); it sends `from-to` as numbers. */
export function clientDstPorts(text: string): string {
  const range = toPortRange(text, 65536);
  return `${range.from}-${range.to}`;
}

/** The client's `IcmpType`: int() in 0-255; it sends the text as given. */
export function checkClientIcmpType(text: string): void {
  const value = requireInt('icmptype', text);
  if (value < 0 || value > 255) throw new FirewallRuleError('icmptype: out of range 0-255');
}

/** Year 1 to year 9999 in UTC: what the client's `fromtimestamp(int(v), timezone.utc)` takes. */
const CLIENT_MIN_EXPIRE = -62135596800;
const CLIENT_MAX_EXPIRE = 253402300799;

/** The client's `Expire`: int() in a representable time; it sends the text as given. */
export function checkClientExpire(text: string): void {
  const at = requireInt('expire', text);
  if (at < CLIENT_MIN_EXPIRE || at > CLIENT_MAX_EXPIRE) throw new FirewallRuleError('expire: timestamp out of range');
}

/**
 * qvm-firewall's `expire=+N`: `datetime.now() + timedelta(seconds=N)`, sent
 * as whole seconds. Beyond the years 1-9999 Python raises OverflowError.
 */
export function relativeExpire(deltaText: string, nowMs: number): string {
  const at = Math.floor(nowMs / 1000) + requireInt('expire', deltaText);
  if (at < CLIENT_MIN_EXPIRE || at > CLIENT_MAX_EXPIRE) throw new FirewallRuleError('expire: time out of range');
  return String(at);
}

import { quote } from '../../shared/errors/qnet-error';
import {
  checkClientExpire,
  checkClientIcmpType,
  clientDstHost,
  clientDstPorts,
  relativeExpire,
} from './client-rule-fields';
import { FirewallRuleError } from './firewall-rule-error';
import { parseApiRule } from './parse-api-rule';
import { parseAction, parseProto, parseSpecialTarget } from './rule-fields';
import type { FirewallRuleModel } from './rule-model';
import { splitShellWords } from './split-shell-words';

const POSITIONAL_ORDER = ['action', 'dsthost', 'proto', 'dstports', 'icmptype'] as const;
const ALLOWED_KEYS = new Set<string>([...POSITIONAL_ORDER, 'specialtarget', 'comment', 'expire']);

/**
 * qvm-firewall's `RuleAction`: `key=value` or a bare value that fills the
 * next unfilled slot of `action dsthost proto dstports|icmptype`; a later
 * duplicate key silently replaces the earlier one; `expire=+N` is N seconds
 * from now. Mirrors its list bookkeeping, including the failures it causes
 * (a second `proto=tcp`, or `icmptype` before `proto=tcp`). Every word is a
 * rule element, `--` and `-d` included.
 */
function collectCliArguments(words: readonly string[], nowMs: number): Map<string, string> {
  if (words.length === 0) throw new FirewallRuleError('empty rule');
  const pending: string[] = [...POSITIONAL_ORDER];
  const take = (slot: string) => {
    const i = pending.indexOf(slot);
    if (i < 0) throw new FirewallRuleError(`${slot} conflicts with an element given earlier`);
    pending.splice(i, 1);
  };
  const raw = new Map<string, string>();
  for (const word of words) {
    // qvm-firewall reads the last character of each element before splitting it.
    if (word === '' || word.endsWith('=')) throw new FirewallRuleError(`invalid rule description: ${quote(word)}`);
    const parts = word.split('=');
    let key: string;
    let value: string;
    if (parts.length === 2) [key, value] = parts;
    else if (parts.length === 1) {
      if (pending.length === 0) throw new FirewallRuleError(`no element left for positional value ${quote(word)}`);
      [key, value] = [pending[0], word];
    } else throw new FirewallRuleError(`invalid rule description: ${quote(word)}`);
    if (key === 'dst4' || key === 'dst6') key = 'dsthost';
    if (!ALLOWED_KEYS.has(key)) throw new FirewallRuleError(`invalid rule element: ${quote(word)}`);
    if (key === 'expire' && value.startsWith('+')) value = relativeExpire(value.slice(1), nowMs);
    raw.set(key, value);
    if (pending.includes(key)) take(key);
    if (key === 'proto' && (value === 'tcp' || value === 'udp')) take('icmptype');
    else if (key === 'proto' && value === 'icmp') take('dstports');
  }
  return raw;
}

/**
 * The qvm-firewall client's `Rule` rendered as the line it sends to qubesd:
 * its own checks first, in its setter order (action, proto, dsthost,
 * specialtarget, dstports, icmptype, expire, comment), then the text in its
 * `rule` order with the comment last. Ports and a destination of prefix 0
 * are sent as the client converted them; everything else as typed.
 */
function toClientLine(raw: Map<string, string>): string {
  const action = raw.get('action');
  const proto = raw.get('proto');
  const dsthost = raw.get('dsthost');
  const specialtarget = raw.get('specialtarget');
  const dstports = raw.get('dstports');
  const icmptype = raw.get('icmptype');
  const expire = raw.get('expire');
  const comment = raw.get('comment');
  if (action !== undefined) parseAction(action);
  if (proto !== undefined) parseProto(proto);
  const dst = dsthost === undefined ? undefined : clientDstHost(dsthost).send;
  if (specialtarget !== undefined) parseSpecialTarget(specialtarget);
  let ports: string | undefined;
  if (dstports !== undefined) {
    if (proto !== 'tcp' && proto !== 'udp') {
      throw new FirewallRuleError('dstports valid only for tcp and udp protocols');
    }
    ports = clientDstPorts(dstports);
  }
  if (icmptype !== undefined) {
    if (proto !== 'icmp') throw new FirewallRuleError('icmptype valid only for icmp protocol');
    checkClientIcmpType(icmptype);
  }
  if (expire !== undefined) checkClientExpire(expire);
  if (action === undefined) throw new FirewallRuleError('missing action');
  const parts = [`action=${action}`];
  if (proto !== undefined) parts.push(`proto=${proto}`);
  if (dst !== undefined) parts.push(dst);
  if (ports !== undefined) parts.push(`dstports=${ports}`);
  if (icmptype !== undefined) parts.push(`icmptype=${icmptype}`);
  if (specialtarget !== undefined) parts.push(`specialtarget=${specialtarget}`);
  if (expire !== undefined) parts.push(`expire=${expire}`);
  if (comment !== undefined) parts.push(`comment=${comment}`);
  return parts.join(' ');
}

/** One `qvm-firewall VM add ...` argument list (as a shell line) to the rule qubesd would store. */
export function parseCliRule(untrustedLine: string, nowMs: number): FirewallRuleModel {
  return parseApiRule(toClientLine(collectCliArguments(splitShellWords(untrustedLine), nowMs)));
}

import { quote } from '../../shared/errors/qnet-error';
import { FirewallRuleError } from './firewall-rule-error';
import { parseApiRule } from './parse-api-rule';
import {
  parseAction,
  parseComment,
  parseDstHost,
  parseDstPorts,
  parseExpire,
  parseIcmpType,
  parseProto,
  parsePythonInt,
  parseSpecialTarget,
} from './rule-fields';
import type { FirewallRuleModel } from './rule-model';
import { splitShellWords } from './split-shell-words';

const POSITIONAL_ORDER = ['action', 'dsthost', 'proto', 'dstports', 'icmptype'] as const;
const ALLOWED_KEYS = new Set<string>([...POSITIONAL_ORDER, 'specialtarget', 'comment', 'expire']);

/**
 * qvm-firewall's argument handling: `key=value` or a bare value that fills the
 * next unfilled slot of `action dsthost proto dstports|icmptype`; a later
 * duplicate key silently replaces the earlier one; `expire=+N` is N seconds
 * from now. Mirrors its list bookkeeping, including the failures it causes
 * (a second `proto=tcp`, or `icmptype` before `proto=tcp`).
 */
function collectCliArguments(words: readonly string[], nowMs: number): Map<string, string> {
  if (words.length === 0) throw new FirewallRuleError('empty rule');
  for (const word of words) {
    // qvm-firewall reads the last character of each element before splitting it.
    if (word === '' || word.endsWith('=')) throw new FirewallRuleError(`invalid rule description: ${quote(word)}`);
  }
  const pending: string[] = [...POSITIONAL_ORDER];
  const take = (slot: string) => {
    const i = pending.indexOf(slot);
    if (i < 0) throw new FirewallRuleError(`${slot} conflicts with an element given earlier`);
    pending.splice(i, 1);
  };
  const raw = new Map<string, string>();
  for (const word of words) {
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
    if (key === 'expire' && value.startsWith('+')) {
      const delta = parsePythonInt(value.slice(1));
      if (delta === undefined) throw new FirewallRuleError(`expire: ${quote(value)} is not +seconds`);
      value = String(Math.floor(nowMs / 1000) + delta);
    }
    raw.set(key, value);
    if (pending.includes(key)) take(key);
    if (key === 'proto' && (value === 'tcp' || value === 'udp')) take('icmptype');
    else if (key === 'proto' && value === 'icmp') take('dstports');
  }
  return raw;
}

/**
 * The qvm-firewall client's `Rule` rendered as the line it sends to qubesd:
 * its own checks first (in its setter order, so `proto` precedes `dstports`),
 * then the same text qubesd would receive. A 0.0.0.0/0 or ::/0 destination
 * limits nothing, and the client leaves it out.
 */
function toClientLine(raw: Map<string, string>): string {
  const parts: string[] = [];
  const action = raw.get('action');
  if (action === undefined) throw new FirewallRuleError('missing action');
  parts.push(`action=${parseAction(action)}`);
  const proto = raw.get('proto');
  if (proto !== undefined) parts.push(`proto=${parseProto(proto)}`);
  const dsthost = raw.get('dsthost');
  if (dsthost !== undefined) {
    const dst = parseDstHost(dsthost, false);
    if (dst.kind === 'dsthost' || dst.prefixlen !== 0) parts.push(`${dst.kind}=${dst.text}`);
  }
  const dstports = raw.get('dstports');
  if (dstports !== undefined) {
    if (proto !== 'tcp' && proto !== 'udp')
      throw new FirewallRuleError('dstports valid only for tcp and udp protocols');
    const range = parseDstPorts(dstports);
    parts.push(`dstports=${range.from}-${range.to}`);
  }
  const icmptype = raw.get('icmptype');
  if (icmptype !== undefined) {
    if (proto !== 'icmp') throw new FirewallRuleError('icmptype valid only for icmp protocol');
    parseIcmpType(icmptype);
    parts.push(`icmptype=${icmptype}`);
  }
  const specialtarget = raw.get('specialtarget');
  if (specialtarget !== undefined) parts.push(`specialtarget=${parseSpecialTarget(specialtarget)}`);
  const expire = raw.get('expire');
  if (expire !== undefined) {
    parseExpire(expire, false);
    parts.push(`expire=${expire}`);
  }
  const comment = raw.get('comment');
  if (comment !== undefined) parts.push(`comment=${parseComment(comment)}`);
  return parts.join(' ');
}

/** What argparse takes for a negative number, and so as a positional value rather than an option. */
const NEGATIVE_NUMBER = /^-\d+$|^-\d*\.\d+$/;

/**
 * The rule elements argparse hands to qvm-firewall: the first `--` only ends
 * option parsing and is dropped; before it, a word that looks like an option
 * (`-x`, `--name`, not a negative number, no space) is refused as unrecognized.
 */
function ruleElements(words: readonly string[]): string[] {
  const end = words.indexOf('--');
  const before = end < 0 ? words : words.slice(0, end);
  for (const word of before) {
    if (word.length > 1 && word.startsWith('-') && !NEGATIVE_NUMBER.test(word) && !word.includes(' ')) {
      throw new FirewallRuleError(`unrecognized option ${quote(word)}`);
    }
  }
  return end < 0 ? [...words] : [...before, ...words.slice(end + 1)];
}

/** One `qvm-firewall VM add ...` argument list (as a shell line) to the rule qubesd would store. */
export function parseCliRule(untrustedLine: string, nowMs: number): FirewallRuleModel {
  const words = ruleElements(splitShellWords(untrustedLine));
  return parseApiRule(toClientLine(collectCliArguments(words, nowMs)));
}

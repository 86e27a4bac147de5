import { toApiLine } from '../firewall/rule-model';
import type { Qube } from './qube';

/** A qube's rules as Admin API lines (refused stored ones verbatim), null for Qubes's default. */
export function firewallLines(q: Qube): string[] | null {
  if (q.unparsedFirewall) return [...q.unparsedFirewall.lines];
  return q.firewall === undefined ? null : q.firewall.map(toApiLine);
}

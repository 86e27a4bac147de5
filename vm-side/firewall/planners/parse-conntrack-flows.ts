import type { Family } from './firewall-model';
import type { Flow } from '../flow-verdict';

const NUMERIC = /^[0-9]{1,10}$/;

function num(value: string | undefined): number | undefined {
  return value !== undefined && NUMERIC.test(value) ? Number(value) : undefined;
}

/**
 * Parses `conntrack -L -o extended` output. Each line is `ipv4 2 tcp 6 TTL
 * [STATE] key=value ... key=value ...`, where the first `src=` starts the
 * original tuple and the second the reply tuple. Lines that do not parse are
 * skipped: a flow we cannot read is a flow we leave alone rather than guess.
 */
export function parseConntrackFlows(untrustedText: string): Flow[] {
  const flows: Flow[] = [];
  for (const line of untrustedText.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words.length < 6) continue;
    const family: Family | undefined = words[0] === 'ipv4' ? 'ip' : words[0] === 'ipv6' ? 'ip6' : undefined;
    if (!family) continue;
    const proto = words[2];
    const tuples: Record<string, string>[] = [];
    for (const word of words.slice(4)) {
      const eq = word.indexOf('=');
      if (eq <= 0) continue;
      const key = word.slice(0, eq);
      if (key === 'src') tuples.push({});
      const current = tuples[tuples.length - 1];
      if (current && tuples.length <= 2 && !(key in current)) current[key] = word.slice(eq + 1);
    }
    const [orig, reply] = tuples;
    if (!orig?.src || !orig.dst || !reply?.src) continue;
    const flow: Flow = {
      family,
      proto,
      src: orig.src,
      dst: orig.dst,
      replySrc: reply.src,
      ...optional('sport', num(orig.sport)),
      ...optional('dport', num(orig.dport)),
      ...optional('icmpType', num(orig.type)),
      ...optional('icmpCode', num(orig.code)),
      ...optional('icmpId', num(orig.id)),
    };
    flows.push(flow);
  }
  return flows;
}

function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}

/** What the IPv6 walk needs of a qube. */
export interface Ipv6Subject {
  readonly netvm: string | null;
  readonly features: Readonly<Record<string, string>>;
}

export const IPV6_FEATURE = 'ipv6';

/**
 * Whether IPv6 is on for each qube: the first `ipv6` feature found walking
 * qube → netvm → its netvm …; any non-empty string enables, the empty string
 * disables (for that qube and, unless they say otherwise, all below it);
 * nothing found means off. Memoized, so the whole inventory costs O(n).
 */
export function effectiveIpv6(qubes: ReadonlyMap<string, Ipv6Subject>): Map<string, boolean> {
  const result = new Map<string, boolean>();
  const resolve = (start: string): boolean => {
    const path: string[] = [];
    const onPath = new Set<string>();
    let name: string | null = start;
    let value = false;
    while (name !== null) {
      const known = result.get(name);
      if (known !== undefined) {
        value = known;
        break;
      }
      const qube = qubes.get(name);
      // A dangling or looping netvm ends the walk; inventory validation refuses both anyway.
      if (!qube || onPath.has(name)) break;
      path.push(name);
      onPath.add(name);
      const own = Object.prototype.hasOwnProperty.call(qube.features, IPV6_FEATURE)
        ? qube.features[IPV6_FEATURE]
        : undefined;
      if (own !== undefined) {
        value = own !== '';
        break;
      }
      name = qube.netvm;
    }
    // Every qube on the path without its own value inherits what ended the walk;
    // the last one pushed may be the one that had its own value, which is the same.
    for (const p of path) result.set(p, value);
    return value;
  };
  for (const name of qubes.keys()) if (!result.has(name)) resolve(name);
  return result;
}

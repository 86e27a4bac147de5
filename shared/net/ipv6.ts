// Pure IPv6 helpers: parsing to 8 groups and the RFC 5952 canonical text form,
// so two spellings of one address compare equal and nft never sees a name.

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** Returns the eight 16-bit groups, or undefined when the text is not a literal IPv6 address. */
export function parseIpv6Groups(text: string): number[] | undefined {
  if (text.length === 0 || text.length > 45) return undefined;
  let head = text;
  let tailV4: number[] = [];
  if (text.includes('.')) {
    const lastColon = text.lastIndexOf(':');
    const v4 = text.slice(lastColon + 1).split('.');
    if (v4.length !== 4 || !v4.every((o) => /^(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])$/.test(o))) {
      return undefined;
    }
    const n = v4.map(Number);
    tailV4 = [n[0] * 256 + n[1], n[2] * 256 + n[3]];
    // "::1.2.3.4" keeps its "::"; "a:b:c:d:e:f:1.2.3.4" drops the colon before the dotted part.
    head = text.slice(0, lastColon + 1);
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const want = 8 - tailV4.length;
  const parts = head.split('::');
  if (parts.length > 2) return undefined;
  const split = (s: string): string[] | undefined => {
    if (s === '') return [];
    const groups = s.split(':');
    return groups.every((g) => HEX_GROUP.test(g)) ? groups : undefined;
  };
  let groups: string[];
  if (parts.length === 2) {
    const left = split(parts[0]);
    const right = split(parts[1]);
    if (!left || !right) return undefined;
    const fill = want - left.length - right.length;
    if (fill < 1) return undefined;
    groups = [...left, ...Array<string>(fill).fill('0'), ...right];
  } else {
    const all = split(parts[0]);
    if (!all) return undefined;
    groups = all;
  }
  if (groups.length !== want) return undefined;
  return [...groups.map((g) => parseInt(g, 16)), ...tailV4];
}

export function isIpv6(text: string): boolean {
  return parseIpv6Groups(text) !== undefined;
}

/** RFC 5952 text: lower case, no leading zeros, the longest run (>= 2) of zero groups compressed. */
export function formatIpv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function canonicalIpv6(text: string): string {
  const groups = parseIpv6Groups(text);
  if (!groups) throw new RangeError(`not an IPv6 address: ${JSON.stringify(text.slice(0, 64))}`);
  return formatIpv6(groups);
}

export function isIpv6Cidr(text: string): boolean {
  const slash = text.indexOf('/');
  if (slash < 0) return false;
  return isIpv6(text.slice(0, slash)) && /^(?:[0-9]|[1-9][0-9]|1[01][0-9]|12[0-8])$/.test(text.slice(slash + 1));
}

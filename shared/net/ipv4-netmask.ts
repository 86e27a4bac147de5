import { ipv4ToNumber, isIpv4, numberToIpv4 } from './ipv4';

/**
 * The prefix length of a dotted-quad netmask, or undefined when the text is
 * not one (not IPv4, or its one bits are not contiguous from the left).
 */
export function netmaskPrefix(mask: string): number | undefined {
  if (!isIpv4(mask)) return undefined;
  const value = ipv4ToNumber(mask);
  const inverted = ~value >>> 0;
  // A contiguous mask inverted is 2^k - 1: adding one leaves no bit in common with it.
  if ((inverted & (inverted + 1)) !== 0) return undefined;
  return 32 - Math.log2(inverted + 1);
}

export function prefixToNetmask(prefix: number): string {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new RangeError(`bad IPv4 prefix ${prefix}`);
  return numberToIpv4(prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
}

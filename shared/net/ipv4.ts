// Pure IPv4 helpers. Strict on purpose: nft resolves anything that is not a
// literal address as a host name, so only canonical dotted quads pass.

const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
const IPV4_RE = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);

export function isIpv4(text: string): boolean {
  return IPV4_RE.test(text);
}

export function ipv4ToNumber(ip: string): number {
  if (!isIpv4(ip)) throw new RangeError(`not an IPv4 address: ${JSON.stringify(ip.slice(0, 64))}`);
  return ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

export function numberToIpv4(value: number): string {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`not an IPv4 value: ${value}`);
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** `a.b.c.d/len`; a bare address is not accepted here (callers add /32 when they mean a host). */
export function isIpv4Cidr(text: string): boolean {
  const slash = text.indexOf('/');
  if (slash < 0) return false;
  const len = text.slice(slash + 1);
  return isIpv4(text.slice(0, slash)) && /^(?:[0-9]|[12][0-9]|3[0-2])$/.test(len);
}

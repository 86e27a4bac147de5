/** Ids run below 10000; 0 is dom0. */
export const MAX_QUBE_ID = 9999;

const IPV6_PREFIX = 'fd09:24ef:4179::';
/** Second-to-last IPv6 group: 0a89 is 10.137, 0a8a is 10.138, the IPv4 net the qube would be in. */
const IPV6_QUBE_GROUP = 'a89';
const IPV6_DISP_GROUP = 'a8a';

/**
 * The last two octets for an id. Below 255 this is Qubes's plain split of
 * the id; above, the id wraps every 254 so no address ends in .0 or .255.
 */
export function idToOctets(id: number, min = 1): [number, number] {
  if (!Number.isInteger(id) || id < min || id > MAX_QUBE_ID)
    throw new RangeError(`id out of range ${min}-${MAX_QUBE_ID}: ${id}`);
  if (id < 255) return [id >> 8, id & 255];
  return [Math.floor((id - 1) / 254), ((id - 1) % 254) + 1];
}

export function qubeIpv4(qid: number): string {
  const [a, b] = idToOctets(qid);
  return `10.137.${a}.${b}`;
}

/** qubesd draws dispids from 0-9999; dispid 0 gets 10.138.0.0, as in Qubes (a /32 host address is fine). */
export const MIN_DISPID = 0;

export function dispIpv4(dispid: number): string {
  const [a, b] = idToOctets(dispid, MIN_DISPID);
  return `10.138.${a}.${b}`;
}

// prefix:0:0:0:GROUP:ID has one zero run, so "::" there already is the RFC 5952 form.
export function qubeIpv6(qid: number): string {
  idToOctets(qid);
  return `${IPV6_PREFIX}${IPV6_QUBE_GROUP}:${qid.toString(16)}`;
}

export function dispIpv6(dispid: number): string {
  idToOctets(dispid, MIN_DISPID);
  return `${IPV6_PREFIX}${IPV6_DISP_GROUP}:${dispid.toString(16)}`;
}

/** What the address plan needs of a qube. Overrides arrive validated and canonical (the inventory sees to it). */
export interface AddressSubject {
  readonly qid: number;
  readonly dispid?: number;
  readonly ip?: string;
  readonly ip6?: string;
}

export interface QubeAddresses {
  readonly ip: string;
  /** The address the qube has when IPv6 is on for it; whether it is on is the IPv6 walk's business. */
  readonly ip6: string;
}

/** A disposable is addressed by its dispid; an override wins over both. */
export function planAddresses(subject: AddressSubject): QubeAddresses {
  const disposable = subject.dispid !== undefined;
  return {
    ip: subject.ip ?? (disposable ? dispIpv4(subject.dispid!) : qubeIpv4(subject.qid)),
    ip6: subject.ip6 ?? (disposable ? dispIpv6(subject.dispid!) : qubeIpv6(subject.qid)),
  };
}

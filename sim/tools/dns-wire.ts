/** Just enough of RFC 1035 to ask one question and read the address answers. */
export const DNS_TYPES = { A: 1, AAAA: 28 } as const;
export type DnsType = keyof typeof DNS_TYPES;

export function encodeQuery(id: number, name: string, type: DnsType): Buffer {
  const labels = name.split('.').filter(Boolean);
  const qname = Buffer.concat([
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')])),
    Buffer.from([0]),
  ]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2); // recursion desired
  header.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(DNS_TYPES[type], 0);
  tail.writeUInt16BE(1, 2);
  return Buffer.concat([header, qname, tail]);
}

function skipName(msg: Buffer, at: number): number {
  for (;;) {
    const len = msg[at];
    if (len === undefined) throw new RangeError('truncated name');
    if ((len & 0xc0) === 0xc0) return at + 2;
    if (len === 0) return at + 1;
    at += len + 1;
  }
}

function formatIpv6(raw: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(raw.readUInt16BE(i).toString(16));
  // The URL parser prints the RFC 5952 form.
  return new URL(`http://[${groups.join(':')}]`).hostname.slice(1, -1);
}

export interface DnsAnswer {
  readonly id: number;
  readonly rcode: number;
  readonly addresses: string[];
}

export function decodeAnswer(msg: Buffer, type: DnsType): DnsAnswer {
  if (msg.length < 12) throw new RangeError('short reply');
  const id = msg.readUInt16BE(0);
  const rcode = msg.readUInt16BE(2) & 0xf;
  const qd = msg.readUInt16BE(4);
  const an = msg.readUInt16BE(6);
  let at = 12;
  for (let i = 0; i < qd; i++) at = skipName(msg, at) + 4;
  const addresses: string[] = [];
  for (let i = 0; i < an; i++) {
    at = skipName(msg, at);
    const rtype = msg.readUInt16BE(at);
    const rdlength = msg.readUInt16BE(at + 8);
    const rdata = msg.subarray(at + 10, at + 10 + rdlength);
    at += 10 + rdlength;
    if (rtype !== DNS_TYPES[type]) continue;
    addresses.push(type === 'A' ? [...rdata].join('.') : formatIpv6(rdata));
  }
  return { id, rcode, addresses };
}

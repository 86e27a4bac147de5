/**
 * The simulated "internet" behind sys-net: documentation addresses only
 * (RFC 5737, RFC 3849), living in a namespace of its own.
 */
export const UPSTREAM = {
  /** The upstream's end of the uplink cable, and the uplink qube's end. */
  device: 'wan0',
  uplinkDevice: 'uplink0',
  uplinkMac: '02:00:c0:00:02:02',
  gateway: '192.0.2.1',
  gateway6: '2001:db8:1::1',
  uplinkIp: '192.0.2.2',
  uplinkIp6: '2001:db8:1::2',
  prefixLen: 24,
  prefixLen6: 64,
  /** Two resolvers: the demo moves sys-net from the first to the second. */
  dns: ['192.0.2.53', '192.0.2.54'] as const,
  /** Services sit on the upstream's loopback (no dummy module in every container), reached only by routing. */
  serviceDevice: 'lo',
  services: ['198.51.100.10', '198.51.100.11'] as const,
  services6: ['2001:db8:100::10', '2001:db8:100::11'] as const,
  echoPorts: [7, 2007] as const,
} as const;

/** What each resolver answers; `resolver.test` tells the two apart. */
export const DNS_RECORDS = {
  name: 'example.org',
  a: UPSTREAM.services[0],
  aaaa: UPSTREAM.services6[0],
  markerName: 'resolver.test',
  /** resolver.test answers 198.51.100.53 from the first resolver and .54 from the second. */
  marker: ['198.51.100.53', '198.51.100.54'] as const,
} as const;

/** dnsmasq's arguments for resolver `index` (0 or 1); no config file, no upstream, answers only its own names. */
export function planDnsmasqArgs(index: 0 | 1, files: { pid: string; log: string }): string[] {
  return [
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--no-resolv',
    '--no-hosts',
    '--no-poll',
    '--bind-interfaces',
    `--listen-address=${UPSTREAM.dns[index]}`,
    '--port=53',
    '--user=root',
    `--pid-file=${files.pid}`,
    '--log-queries',
    `--log-facility=${files.log}`,
    `--host-record=${DNS_RECORDS.name},${DNS_RECORDS.a},${DNS_RECORDS.aaaa}`,
    `--host-record=${DNS_RECORDS.markerName},${DNS_RECORDS.marker[index]}`,
  ];
}

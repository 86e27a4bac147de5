import { canonicalIpv6 } from '../../shared/net/ipv6';
import type { LinkState, NeighbourState, RouteState } from '../planners/net-state';

// Turn `ip -j` output into plain state. The kernel is trusted, but its JSON
// shape varies between iproute2 versions, so every field is checked.

type Json = Record<string, unknown>;

const asArray = (text: string): Json[] => {
  const value: unknown = JSON.parse(text || '[]');
  return Array.isArray(value) ? (value.filter((v) => v && typeof v === 'object') as Json[]) : [];
};
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const canonical = (ip: string) => (ip.includes(':') ? canonicalIpv6(ip) : ip);

/** Named groups other than "default" come from /etc/iproute2/group; we only ever use numbers. */
function groupNumber(v: unknown): number {
  if (v === 'default' || v === undefined) return 0;
  const n = Number(v);
  return Number.isInteger(n) ? n : -1;
}

/** `ip -j address show` */
export function parseIpAddr(text: string): LinkState[] {
  return asArray(text).flatMap((l) => {
    const name = str(l.ifname);
    if (!name) return [];
    const addrs = Array.isArray(l.addr_info) ? (l.addr_info as Json[]) : [];
    return [
      {
        name,
        mac: (str(l.address) ?? '').toLowerCase(),
        up: strings(l.flags).includes('UP'),
        mtu: typeof l.mtu === 'number' ? l.mtu : 0,
        group: groupNumber(l.group),
        addresses: addrs
          .filter((a) => a.scope === 'global' && typeof a.local === 'string' && typeof a.prefixlen === 'number')
          .map((a) => `${canonical(a.local as string)}/${a.prefixlen as number}`),
      },
    ];
  });
}

/** `ip -j -4 route show table main` or `-6`: only unicast routes through a device. */
export function parseIpRoute(text: string, family: 4 | 6): RouteState[] {
  const full = family === 4 ? 32 : 128;
  return asArray(text).flatMap((r) => {
    const dst = str(r.dst);
    const dev = str(r.dev);
    if (!dst || !dev || (r.type !== undefined && r.type !== 'unicast')) return [];
    const normalized =
      dst === 'default'
        ? family === 4
          ? '0.0.0.0/0'
          : '::/0'
        : dst.includes('/')
          ? `${canonical(dst.split('/')[0])}/${dst.split('/')[1]}`
          : `${canonical(dst)}/${full}`;
    const via = str(r.gateway);
    return [
      {
        dst: normalized,
        dev,
        ...(via ? { via: canonical(via) } : {}),
        onlink: strings(r.flags).includes('onlink'),
        kernel: r.protocol === 'kernel',
      },
    ];
  });
}

/** `ip -j neigh show` */
export function parseIpNeigh(text: string): NeighbourState[] {
  return asArray(text).flatMap((n) => {
    const ip = str(n.dst);
    const dev = str(n.dev);
    if (!ip || !dev) return [];
    const mac = str(n.lladdr);
    return [
      {
        ip: canonical(ip),
        dev,
        ...(mac ? { mac: mac.toLowerCase() } : {}),
        permanent: strings(n.state).includes('PERMANENT'),
      },
    ];
  });
}

import { UPSTREAM } from './upstream-plan';

/**
 * The simulated VPN: a server in the upstream and the client in the VPN
 * qube, joined by a VXLAN tunnel. WireGuard would be the natural choice, but
 * kernels without CONFIG_WIREGUARD (this project's CI container among them)
 * refuse `ip link add type wireguard`, and a tun device needs a user-space
 * process holding it. VXLAN is the in-kernel tunnel that is there: like
 * WireGuard, it carries the inner packets in UDP through the netvm chain
 * (sys-firewall, then sys-net, NATed at both) to the server. Documentation
 * addresses only (RFC 5737).
 */
export const VPN = {
  /** The tunnel interface on both ends: outside group 2, so the VPN qube masquerades what leaves through it. */
  device: 'vpn0',
  vni: 4242,
  /** One fixed UDP port as source and destination on both ends, so the NAT on the way keeps one flow. */
  port: 4789,
  /** The server's public address, on the upstream's loopback like the other services. */
  serverEndpoint: '203.0.113.1',
  /** Inside the tunnel: the server's address (its DNS server listens here) and the client's. */
  serverTunnelIp: '203.0.113.129',
  clientTunnelIp: '203.0.113.130',
  tunnelPrefixLen: 25,
  serverMac: '02:00:cb:00:71:81',
  clientMac: '02:00:cb:00:71:82',
  /** The VPN provider's DNS: `resolver.test` answers this marker, the upstream resolvers answer others. */
  dnsMarker: '198.51.100.153',
  /** Its dnsmasq log is `dnsmasq-<this>.log` beside the upstream resolvers' (0 and 1). */
  dnsLogIndex: 2,
} as const;

/**
 * One end of the tunnel: a fixed MAC (no ARP learning across the NAT) and
 * the one UDP port on both sides. The client leaves `local` to its routing.
 */
function vxlanEnd(mac: string, local: string | undefined, remote: string): string[] {
  return [
    ...['link', 'add', VPN.device, 'address', mac, 'type', 'vxlan', 'id', String(VPN.vni)],
    ...(local === undefined ? [] : ['local', local]),
    ...['remote', remote, 'dstport', String(VPN.port), 'srcport', String(VPN.port), String(VPN.port + 1)],
    'nolearning',
  ];
}

/**
 * `ip` argv (in the upstream namespace) for the server's end. The server
 * cannot learn its peer's address as WireGuard does, so it is told what the
 * upstream sees the client's packets come from: sys-net's uplink address.
 */
export function planVpnServer(): string[][] {
  const dev = VPN.device;
  return [
    ['addr', 'add', `${VPN.serverEndpoint}/32`, 'dev', UPSTREAM.serviceDevice],
    vxlanEnd(VPN.serverMac, VPN.serverEndpoint, UPSTREAM.uplinkIp),
    ['addr', 'add', `${VPN.serverTunnelIp}/${VPN.tunnelPrefixLen}`, 'dev', dev],
    // No ARP across the NAT: each end knows the other's MAC, as a point-to-point tunnel needs none.
    ['neigh', 'replace', VPN.clientTunnelIp, 'lladdr', VPN.clientMac, 'dev', dev, 'nud', 'permanent'],
    ['link', 'set', dev, 'up'],
  ];
}

/**
 * `ip` argv (in the VPN qube) for the client's end and its routes, as an
 * OpenVPN client with `redirect-gateway def1` sets them: the server's address
 * through the netvm (on eth0, beside qnet's own routes), and everything else
 * through the tunnel with two /1 routes that beat qnet's default route
 * without replacing it.
 */
export function planVpnClient(gateway: string, uplinkDevice: string): string[][] {
  const dev = VPN.device;
  return [
    vxlanEnd(VPN.clientMac, undefined, VPN.serverEndpoint),
    ['addr', 'add', `${VPN.clientTunnelIp}/${VPN.tunnelPrefixLen}`, 'dev', dev],
    ['neigh', 'replace', VPN.serverTunnelIp, 'lladdr', VPN.serverMac, 'dev', dev, 'nud', 'permanent'],
    ['link', 'set', dev, 'up'],
    ['route', 'add', `${VPN.serverEndpoint}/32`, 'via', gateway, 'dev', uplinkDevice, 'onlink'],
    ...VPN_ROUTES.map((dst) => ['route', 'add', dst, 'via', VPN.serverTunnelIp, 'dev', dev]),
  ];
}

/** What the client sends through the tunnel. */
export const VPN_ROUTES = ['0.0.0.0/1', '128.0.0.0/1'] as const;

/** dnsmasq for the VPN's DNS server, on the server's tunnel address only. */
export function planVpnDnsmasqArgs(
  files: { pid: string; log: string },
  records: { name: string; a: string },
): string[] {
  return [
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--no-resolv',
    '--no-hosts',
    '--no-poll',
    '--bind-interfaces',
    `--listen-address=${VPN.serverTunnelIp}`,
    '--port=53',
    '--user=root',
    `--pid-file=${files.pid}`,
    '--log-queries',
    `--log-facility=${files.log}`,
    `--host-record=${records.name},${records.a}`,
    `--host-record=resolver.test,${VPN.dnsMarker}`,
  ];
}

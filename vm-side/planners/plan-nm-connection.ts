import type { Uplink } from '../../services/net-config';
import { uplinkPrefix } from './plan-guest-network';

/** The profile setup-ip writes for a NetworkManager-managed uplink: one per interface name, root-only (0600). */
export const NM_CONNECTION_MODE = 0o600;

export function nmConnectionPath(dir: string, dev: string): string {
  return `${dir.replace(/\/+$/, '')}/qubes-uplink-${dev}`;
}

/** setup-ip derives a stable UUID from the MAC, so the profile keeps its identity across boots. */
export function nmConnectionUuid(mac: string): string {
  return `de85f79b-8c3d-405f-a652-${mac.replace(/:/g, '')}`;
}

/**
 * The keyfile text, laid out as setup-ip's `configure_network_nm` writes it
 * (the same sections, keys, values and blank lines), so NetworkManager and a
 * user's scripts see the same profile. One addition: `mtu=` under
 * `[ethernet]` when the qube has an MTU, which setup-ip has no source for.
 */
export function nmConnectionContent(uplink: Uplink, dev: string, mac: string): string {
  const ipv4: string[] = [];
  const ipv6: string[] = [];
  if (!uplink.disableDnsServer) ipv4.push(`dns=${uplink.dns[0]};${uplink.dns[1]}`);
  const prefix = uplinkPrefix(uplink);
  // Qubes's netmask6 defaults to 128; a missing gateway6 is written as an empty field, as setup-ip does.
  const gateway6 = uplink.gateway6 ?? '';
  if (!uplink.disableDefaultRoute) {
    ipv4.push(`addresses1=${uplink.ip};${prefix};${uplink.gateway}`);
    if (uplink.ip6) ipv6.push(`addresses1=${uplink.ip6};128;${gateway6}`);
  } else {
    ipv4.push(`addresses1=${uplink.ip};${prefix}`);
    if (uplink.ip6) ipv6.push(`addresses1=${uplink.ip6};128`);
  }
  const section = (name: string, keys: readonly string[]) =>
    keys.length > 0 ? `[${name}]\nmethod=manual\nmay-fail=false\n\n${keys.join('\n')}\n` : `[${name}]\nmethod=ignore\n`;
  return (
    '[802-3-ethernet]\nduplex=full\n\n' +
    `[ethernet]\nmac-address=${mac}\n${uplink.mtu !== undefined ? `mtu=${uplink.mtu}\n` : ''}\n` +
    `[connection]\nid=VM uplink ${dev}\nuuid=${nmConnectionUuid(mac)}\ntype=802-3-ethernet\n` +
    section('ipv4', ipv4) +
    section('ipv6', ipv6)
  );
}

export interface NmConnectionWrite {
  readonly path: string;
  readonly content: string;
}

/** The profile to write (and load), or undefined when the file already holds it. */
export function planNmConnection(
  uplink: Uplink,
  dev: string,
  mac: string,
  dir: string,
  observedContent: string | undefined,
): NmConnectionWrite | undefined {
  const content = nmConnectionContent(uplink, dev, mac);
  return observedContent === content ? undefined : { path: nmConnectionPath(dir, dev), content };
}

/**
 * The profile qnet wrote for `previous`, when the uplink no longer goes to
 * NetworkManager: its path, to be removed (setup-ip removes it when the
 * interface goes), so NetworkManager does not configure the link qnet now
 * configures itself. A profile with any other content is the user's and stays.
 */
export function planNmConnectionRemoval(
  previous: Uplink | undefined,
  dev: string,
  mac: string,
  dir: string,
  observedContent: string | undefined,
): string | undefined {
  if (!previous || observedContent === undefined) return undefined;
  return observedContent === nmConnectionContent(previous, dev, mac) ? nmConnectionPath(dir, dev) : undefined;
}

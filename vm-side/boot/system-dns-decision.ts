import type { NetConfigDocument } from '../../services/net-config';

/** Whether this qube points DNS1/DNS2 at the servers it finds in its own system, and if not, why. */
export type SystemDnsDecision = { readonly read: true } | { readonly read: false; readonly reason: string };

/**
 * Only a network-providing qube without a netvm (sys-net) learns its upstream
 * DNS servers itself: dom0 has none to give it, and its uplink may be set up
 * by anything (NetworkManager, dhclient, systemd-networkd, a static file).
 * Upstream runs qubes-setup-dnat-to-ns at boot for the same reason. A qube
 * with a netvm gets DNS1/DNS2 of its netvm from dom0 (qubes.DnsUpdate); a
 * document dom0 did send (generation above 0) is never replaced by a guess.
 */
export function decideSystemDns(
  netConfig: NetConfigDocument | undefined,
  dnsUpdateGeneration: number | undefined,
): SystemDnsDecision {
  if (!netConfig) return { read: false, reason: 'no network configuration is in force yet' };
  if (!netConfig.provider) return { read: false, reason: 'this qube provides no network' };
  if (netConfig.uplink) return { read: false, reason: 'this qube has a netvm: dom0 sends its DNS targets' };
  if (dnsUpdateGeneration !== undefined && dnsUpdateGeneration > 0) {
    return { read: false, reason: `dom0 sent qubes.DnsUpdate generation ${dnsUpdateGeneration}` };
  }
  return { read: true };
}

import type { DemoSection } from '../check-line';
import { configurationSection } from './configuration';
import { dnsSection } from './dns';
import { firewallSection } from './firewall';
import { guestFeaturesSection } from './guest-features';
import { ipv6Section } from './ipv6';
import { moveNetvmSection } from './move-netvm';
import { policySection } from './policy';
import { spoofSection } from './spoof';
import { upstreamDnsSection } from './upstream-dns';
import { userFirewallSection } from './user-firewall';
import { xenIdentitySection } from './xen-identity';
import { vpnSection } from './vpn';

/** The scripted scenario, in order: later sections build on the state earlier ones leave. */
export const DEMO_SECTIONS: readonly DemoSection[] = [
  configurationSection,
  dnsSection,
  firewallSection,
  ipv6Section,
  spoofSection,
  policySection,
  upstreamDnsSection,
  userFirewallSection,
  moveNetvmSection,
  guestFeaturesSection,
  xenIdentitySection,
  vpnSection,
];

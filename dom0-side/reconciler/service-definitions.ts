import { DnsUpdate } from '../../services/dns-update';
import { FirewallSync } from '../../services/firewall-sync';
import { NetConfig } from '../../services/net-config';
import { DNS_UPDATE, FIREWALL_SYNC, NET_CONFIG, type DocumentService } from '../documents/document-types';

/** The push contract of each document kind. */
export const PUSH_SERVICES = {
  [NET_CONFIG]: NetConfig,
  [FIREWALL_SYNC]: FirewallSync,
  [DNS_UPDATE]: DnsUpdate,
} as const satisfies Record<DocumentService, unknown>;

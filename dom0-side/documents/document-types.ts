import type { DnsUpdateDocument } from '../../services/dns-update';
import type { FirewallSyncDocument } from '../../services/firewall-sync';
import type { NetConfigDocument } from '../../services/net-config';

// Bodies without `generation`: the reconciler stamps it per (qube, service) when it pushes.
export type NetConfigBody = Omit<NetConfigDocument, 'generation'>;
export type DnsUpdateBody = Omit<DnsUpdateDocument, 'generation'>;
export type FirewallSyncBody = Omit<FirewallSyncDocument, 'generation'>;

// Literal copies of the service definitions' names (a test checks they agree), so the union below is closed.
export const NET_CONFIG = 'qubes.NetConfig';
export const DNS_UPDATE = 'qubes.DnsUpdate';
export const FIREWALL_SYNC = 'qubes.FirewallSync';

export type DocumentService = typeof NET_CONFIG | typeof DNS_UPDATE | typeof FIREWALL_SYNC;

export type QubeDocument =
  | {
      readonly qube: string;
      readonly service: typeof NET_CONFIG;
      readonly body: NetConfigBody;
      readonly canonical: string;
    }
  | {
      readonly qube: string;
      readonly service: typeof DNS_UPDATE;
      readonly body: DnsUpdateBody;
      readonly canonical: string;
    }
  | {
      readonly qube: string;
      readonly service: typeof FIREWALL_SYNC;
      readonly body: FirewallSyncBody;
      readonly canonical: string;
    };

/** Keyed by `documentKey`; one entry per (qube, service) that has a document. */
export type DocumentSet = ReadonlyMap<string, QubeDocument>;

export function documentKey(qube: string, service: DocumentService): string {
  return `${qube}\u0000${service}`;
}

/** A provider's own config first, its clients' firewall before any client link comes up, DNS last. */
export const SERVICE_PUSH_RANK: Readonly<Record<DocumentService, number>> = {
  [NET_CONFIG]: 0,
  [FIREWALL_SYNC]: 1,
  [DNS_UPDATE]: 2,
};

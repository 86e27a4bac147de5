import { DnsUpdate } from '../../../../services/dns-update';
import { FirewallSync } from '../../../../services/firewall-sync';
import { NetConfig } from '../../../../services/net-config';
import type { QubeDocument } from '../../../../dom0-side/documents/document-types';

/** Parses a computed body with the wire schema, generation added, as the reconciler will send it. */
export function validateOnWire(doc: QubeDocument): unknown {
  const schema = { [NetConfig.name]: NetConfig, [DnsUpdate.name]: DnsUpdate, [FirewallSync.name]: FirewallSync }[
    doc.service
  ];
  return schema.request.parse({ generation: 1, ...doc.body });
}

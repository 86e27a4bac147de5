import type { PushStatus, QubeInfo } from '../../services/admin/admin-schemas';
import { HOST_NETMASK, VIRTUAL_DNS } from '../../services/net-config';
import { QUBE_MAC } from '../documents/build-documents';
import type { NetworkSnapshot } from '../documents/network-snapshot';
import { firewallRevision } from '../firewall/firewall-revision';
import { toFeaturePairs } from '../inventory/feature-record';
import { firewallLines } from '../inventory/firewall-lines';
import type { Qube } from '../inventory/qube';

/**
 * A qube as `qvm-prefs` shows it, with what qnet derived: addresses exist
 * only for a networked qube (it has a netvm or provides network), as in
 * Qubes; gateway and DNS only with a netvm.
 */
export function toQubeInfo(snapshot: NetworkSnapshot, q: Qube, generations: PushStatus[]): QubeInfo {
  const net = snapshot.network.get(q.name);
  const networked = q.netvm !== null || q.providesNetwork;
  const uplink = q.netvm === null ? undefined : snapshot.network.get(q.netvm);
  const ip = networked && net ? net.ip : null;
  const ip6 = networked ? (net?.ip6 ?? null) : null;
  return {
    name: q.name,
    qid: q.qid,
    klass: q.klass,
    dispid: q.dispid ?? null,
    netvm: q.netvm,
    provides_network: q.providesNetwork,
    power: q.power,
    features: toFeaturePairs(q.features),
    firewall: firewallLines(q),
    firewall_error: net?.firewallError?.slice(0, 1200) ?? null,
    firewall_revision: firewallRevision(firewallLines(q)),
    ip,
    ip6,
    visible_ip: ip,
    visible_ip6: ip6,
    gateway: uplink?.ip ?? null,
    gateway6: uplink?.ip6 ?? null,
    netmask: networked ? HOST_NETMASK : null,
    dns: uplink ? [...VIRTUAL_DNS] : null,
    mac: networked ? QUBE_MAC : null,
    ipv6: net?.ipv6 ?? false,
    generations,
  };
}

import { VIRTUAL_DNS } from '../../services/net-config';
import { isV6 } from './net-state';
import { PRIORITY, daddr, drop, match, payload, type ChainSpec, type NftCommand, type TableRef } from './nft-json';
import type { NftTableState } from './nft-state';
import { planChainContent } from './plan-chain';
import { QUBES_TABLE } from './base-ruleset';

export const DNS_CHAIN = 'dnat-dns';
const QUBES_IP: TableRef = { family: 'ip', table: QUBES_TABLE };

/**
 * DNS1 goes to the first IPv4 upstream, DNS2 to the second (or the first
 * again). With no IPv4 upstream the virtual addresses are dropped rather
 * than routed on: no port is open, and nothing leaks toward the uplink.
 */
export function dnsNatChain(upstream: readonly string[]): ChainSpec {
  const v4 = upstream.filter((a) => !isV6(a));
  const hook = { type: 'nat', hook: 'prerouting', prio: PRIORITY.dstnat, policy: 'accept' } as const;
  if (v4.length === 0) {
    return { name: DNS_CHAIN, hook, rules: [[match(daddr('ip'), { set: [...VIRTUAL_DNS] }), drop]] };
  }
  const pairs: [string, string][] = [
    [VIRTUAL_DNS[0], v4[0]],
    [VIRTUAL_DNS[1], v4[1] ?? v4[0]],
  ];
  return {
    name: DNS_CHAIN,
    hook,
    rules: pairs.flatMap(([virtual, real]) =>
      (['udp', 'tcp'] as const).map((proto) => [
        match(daddr('ip'), virtual),
        match(payload(proto, 'dport'), 53),
        { dnat: { addr: real } },
      ]),
    ),
  };
}

/** The whole chain replaced in one transaction, or nothing when the kernel already holds it. */
export function planDnsNat(upstream: readonly string[], observed: NftTableState | undefined): NftCommand[] {
  const spec = dnsNatChain(upstream);
  const cmds = planChainContent(QUBES_IP, spec, observed?.chains.get(DNS_CHAIN));
  if (cmds.length === 0) return [];
  return [...(observed ? [] : [{ add: { table: { family: 'ip', name: QUBES_TABLE } } }]), ...cmds];
}

import type { NftCommand, NftExpr } from './nft-json';
import { drop, match, meta } from './nft-json';
import type { NftTableState } from './nft-state';
import type { MappedClient } from './plan-downstream';
import { ruleTag } from './rule-tag';

/**
 * The provider's translation for clients with `net.fake-ip`. Upstream's
 * vif-qubes-nat.sh moves the vif into a namespace of its own and rewrites
 * addresses at the ingress of each end; qnet does the same rewriting with
 * stateless netdev rules on the vif itself (ingress from the client, egress to
 * it), so the vif stays where every other part of the provider expects it
 * and the client's packets reach the antispoof check with the real address.
 */
export const MAPPED_IP_TABLE = 'qubes-mapped-ip';
const FAMILY = 'netdev';

const ipField = (field: 'saddr' | 'daddr') => ({ payload: { protocol: 'ip', field } });
const arpField = (field: 'saddr ip' | 'daddr ip') => ({ payload: { protocol: 'arp', field } });
const rewrite = (key: NftExpr, from: string, to: string): NftExpr[] => [
  match(key, from),
  { mangle: { key, value: to } },
];

/** Everything the client sends, rewritten to what the provider must see. */
export function ingressRules(c: MappedClient): NftExpr[][] {
  const rules: NftExpr[][] = [
    // vif-route-qubes: IPv6 is dropped for a client with a mapped address.
    [match(meta('protocol'), 'ip6'), drop],
    // Only the visible address is the client's: its real one, sent directly, is spoofing (upstream's netns drops it).
    [match(ipField('saddr'), c.ip), drop],
    rewrite(ipField('saddr'), c.visibleIp, c.ip),
    rewrite(arpField('saddr ip'), c.visibleIp, c.ip),
  ];
  // Traffic to the gateway the client was told ends at the provider, as in upstream's namespace, not upstream of it.
  if (c.visibleGateway !== c.gateway) rules.push(rewrite(ipField('daddr'), c.visibleGateway, c.gateway));
  return rules;
}

/** Everything sent to the client, rewritten to what the client believes. */
export function egressRules(c: MappedClient): NftExpr[][] {
  const rules: NftExpr[][] = [
    [match(meta('protocol'), 'ip6'), drop],
    rewrite(ipField('daddr'), c.ip, c.visibleIp),
    // The provider asks for the real address; the client answers only for the one it holds.
    rewrite(arpField('daddr ip'), c.ip, c.visibleIp),
  ];
  if (c.visibleGateway !== c.gateway) rules.push(rewrite(ipField('saddr'), c.gateway, c.visibleGateway));
  return rules;
}

interface DesiredChain {
  readonly name: string;
  readonly hook: 'ingress' | 'egress';
  readonly dev: string;
  readonly rules: readonly NftExpr[][];
}

function desiredChains(clients: readonly MappedClient[]): DesiredChain[] {
  return clients.flatMap((c) => [
    { name: `in-${c.vif}`, hook: 'ingress' as const, dev: c.vif, rules: ingressRules(c) },
    { name: `out-${c.vif}`, hook: 'egress' as const, dev: c.vif, rules: egressRules(c) },
  ]);
}

function matches(want: readonly DesiredChain[], observed: NftTableState): boolean {
  if (observed.chains.size !== want.length) return false;
  return want.every((chain) => {
    const have = observed.chains.get(chain.name);
    const tags = chain.rules.map(ruleTag);
    return (
      have?.hook?.hook === (chain.hook as string) &&
      have.ruleComments.length === tags.length &&
      tags.every((t, i) => have.ruleComments[i] === t)
    );
  });
}

/**
 * The whole table in one transaction, rebuilt when anything differs (a
 * client came or went, an address changed) and removed when no client needs
 * it; nothing when the kernel already holds exactly this. The table is
 * separate from `ip qubes`: deleting it never touches antispoofing.
 */
export function planMappedIpNat(clients: readonly MappedClient[], observed: NftTableState | undefined): NftCommand[] {
  const want = desiredChains(clients);
  const table = { family: FAMILY, name: MAPPED_IP_TABLE };
  if (want.length === 0) return observed ? [{ delete: { table } }] : [];
  if (observed && matches(want, observed)) return [];
  const cmds: NftCommand[] = [{ add: { table } }, { delete: { table } }, { add: { table } }];
  for (const chain of want) {
    cmds.push({
      add: {
        chain: {
          family: FAMILY,
          table: MAPPED_IP_TABLE,
          name: chain.name,
          type: 'filter',
          hook: chain.hook,
          dev: chain.dev,
          prio: 0,
          policy: 'accept',
        },
      },
    });
    for (const expr of chain.rules) {
      cmds.push({
        add: { rule: { family: FAMILY, table: MAPPED_IP_TABLE, chain: chain.name, expr, comment: ruleTag(expr) } },
      });
    }
  }
  return cmds;
}

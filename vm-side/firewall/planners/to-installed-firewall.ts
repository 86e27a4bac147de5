import type { NftCommand } from '../../executors/nft-executor';
import { FAMILIES, type ChainKey, type Family, type InstalledFirewall } from './firewall-model';
import { CLIENTS_MAP, CLIENT_CHAIN_PREFIX, FIREWALL_TABLE, FORWARD_CHAIN } from './firewall-names';

interface Listed {
  chain?: { family?: string; table?: string; name?: string; hook?: string; policy?: string };
  rule?: { family?: string; table?: string; chain?: string; expr?: unknown[] };
}

function addressFromChain(family: Family, chain: string): string {
  const tail = chain.slice(CLIENT_CHAIN_PREFIX.length);
  return family === 'ip' ? tail.replace(/-/g, '.') : tail.replace(/-/g, ':');
}

/**
 * What the kernel holds in our tables (from `nft -j list ruleset`), as the
 * planner's starting point at agent start. Chains seen here have an unknown
 * key, so the first plan rewrites each desired one and deletes the rest.
 */
export function toInstalledFirewall(listing: { nftables: readonly NftCommand[] }): InstalledFirewall {
  const chains: Record<Family, Map<string, ChainKey>> = { ip: new Map(), ip6: new Map() };
  const hasForward = { ip: false, ip6: false };
  const hasVmap = { ip: false, ip6: false };
  for (const item of listing.nftables as unknown as Listed[]) {
    const family = (item.chain?.family ?? item.rule?.family) as Family;
    if (!FAMILIES.includes(family) || (item.chain?.table ?? item.rule?.table) !== FIREWALL_TABLE) continue;
    if (item.chain?.name === FORWARD_CHAIN) {
      hasForward[family] = item.chain.hook === 'forward' && item.chain.policy === 'drop';
    } else if (item.chain?.name?.startsWith(CLIENT_CHAIN_PREFIX)) {
      chains[family].set(addressFromChain(family, item.chain.name), undefined);
    } else if (item.rule?.chain === FORWARD_CHAIN && JSON.stringify(item.rule.expr).includes(`"@${CLIENTS_MAP}"`)) {
      hasVmap[family] = true;
    }
  }
  return {
    base: { ip: hasForward.ip && hasVmap.ip, ip6: hasForward.ip6 && hasVmap.ip6 },
    chains,
    clients: new Map(),
  };
}

import type { NftCommand } from '../../planners/nft-json';
import { FAMILIES, type Family, type InstalledChain, type InstalledFirewall } from './firewall-model';
import { CLIENTS_MAP, CLIENT_CHAIN_PREFIX, FIREWALL_TABLE, FORWARD_CHAIN } from './firewall-names';

interface Listed {
  chain?: { family?: string; table?: string; name?: string; hook?: string; policy?: string };
  rule?: { family?: string; table?: string; chain?: string; expr?: unknown[] };
}

/** `qbs-10-137-0-5-r3`: the address part and the revision; no match for a dispatch chain. */
const REVISION = /^(.+)-r(\d+)$/;

function addressFromChain(family: Family, chain: string): string {
  const tail = chain.slice(CLIENT_CHAIN_PREFIX.length);
  return family === 'ip' ? tail.replace(/-/g, '.') : tail.replace(/-/g, ':');
}

/**
 * What the kernel holds in our tables (from `nft -j list ruleset`), as the
 * planner's starting point at agent start. Chains seen here have an unknown
 * key and are untidy, so the first plan rewrites each desired address, the
 * tidy after it removes the old revisions, and the rest are deleted.
 */
export function toInstalledFirewall(listing: { nftables: readonly NftCommand[] }): InstalledFirewall {
  const revisions: Record<Family, Map<string, number[]>> = { ip: new Map(), ip6: new Map() };
  const hasForward = { ip: false, ip6: false };
  const hasVmap = { ip: false, ip6: false };
  for (const item of listing.nftables as unknown as Listed[]) {
    const family = (item.chain?.family ?? item.rule?.family) as Family;
    if (!FAMILIES.includes(family) || (item.chain?.table ?? item.rule?.table) !== FIREWALL_TABLE) continue;
    if (item.chain?.name === FORWARD_CHAIN) {
      hasForward[family] = item.chain.hook === 'forward' && item.chain.policy === 'drop';
    } else if (item.chain?.name?.startsWith(CLIENT_CHAIN_PREFIX)) {
      const revision = REVISION.exec(item.chain.name);
      const address = addressFromChain(family, revision ? revision[1] : item.chain.name);
      const seen = revisions[family].get(address) ?? [];
      revisions[family].set(address, revision ? [...seen, Number(revision[2])] : seen);
    } else if (item.rule?.chain === FORWARD_CHAIN && JSON.stringify(item.rule.expr).includes(`"@${CLIENTS_MAP}"`)) {
      hasVmap[family] = true;
    }
  }
  const chains = (family: Family) =>
    new Map(
      [...revisions[family]].map(([address, seen]): [string, InstalledChain] => [
        address,
        { key: undefined, revisions: seen, tidy: false },
      ]),
    );
  return {
    base: { ip: hasForward.ip && hasVmap.ip, ip6: hasForward.ip6 && hasVmap.ip6 },
    chains: { ip: chains('ip'), ip6: chains('ip6') },
    clients: new Map(),
  };
}

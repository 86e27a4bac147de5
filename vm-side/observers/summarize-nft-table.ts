import { canonicalIpv6 } from '../../shared/net/ipv6';
import type { ChainHook } from '../planners/nft-json';
import type { NftChainState, NftTableState } from '../planners/nft-state';

type Json = Record<string, unknown>;

const canonical = (v: string) => (v.includes(':') && !v.includes(' ') ? canonicalIpv6(v) : v);

/** A set element as a key: `10.137.0.5`, or `vif3.0 . 10.137.0.5` for a concatenation. */
function elementKey(elem: unknown): string | undefined {
  if (typeof elem === 'string') return canonical(elem);
  if (elem && typeof elem === 'object') {
    const o = elem as Json;
    if (Array.isArray(o.concat)) {
      const parts = o.concat.map((p) => (typeof p === 'string' ? canonical(p) : undefined));
      return parts.every((p) => p !== undefined) ? parts.join(' . ') : undefined;
    }
    if ('elem' in o) return elementKey((o.elem as Json).val);
  }
  return undefined;
}

function hookOf(c: Json): ChainHook | undefined {
  if (typeof c.hook !== 'string') return undefined;
  return { type: c.type, hook: c.hook, prio: c.prio, policy: c.policy } as ChainHook;
}

/** `nft -j list table FAMILY NAME`, reduced to what the planners compare. */
export function summarizeNftTable(listing: { nftables: Json[] }): NftTableState {
  const chains = new Map<string, { hook?: ChainHook; ruleComments: string[] }>();
  const sets = new Map<string, string[]>();
  for (const item of listing.nftables) {
    if (item.chain) {
      const c = item.chain as Json;
      const hook = hookOf(c);
      chains.set(String(c.name), { ...(hook ? { hook } : {}), ruleComments: [] });
    } else if (item.rule) {
      const r = item.rule as Json;
      chains.get(String(r.chain))?.ruleComments.push(typeof r.comment === 'string' ? r.comment : '');
    } else if (item.set) {
      const s = item.set as Json;
      const elems = Array.isArray(s.elem) ? s.elem : [];
      sets.set(
        String(s.name),
        elems.map(elementKey).filter((k): k is string => k !== undefined),
      );
    }
  }
  return { chains: chains as Map<string, NftChainState>, sets };
}

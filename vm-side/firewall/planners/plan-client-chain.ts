import type { NftCommand } from '../../executors/nft-executor';
import type { Family } from './firewall-model';
import { CLIENTS_MAP, FIREWALL_TABLE, clientChainName } from './firewall-names';
import { addRule } from './render-nft-rule';

/** A rule body per line of the chain; the chain always ends in drop (the client's default, section 3). */
export interface ChainBody {
  readonly rules: readonly { readonly expr: readonly unknown[]; readonly comment?: string }[];
}

const chainRef = (family: Family, address: string) => ({
  family,
  table: FIREWALL_TABLE,
  name: clientChainName(address),
});

const mapElement = (family: Family, address: string, withVerdict: boolean) => ({
  element: {
    family,
    table: FIREWALL_TABLE,
    name: CLIENTS_MAP,
    elem: [withVerdict ? [address, { jump: { target: clientChainName(address) } }] : address],
  },
});

/**
 * Replaces one client address's chain. `add` before `flush` so the commands do
 * not depend on whether the chain exists; the map element is added after the
 * chain it jumps to (the kernel refuses a jump to a missing chain).
 */
export function planWriteChain(family: Family, address: string, body: ChainBody): NftCommand[] {
  const chain = chainRef(family, address);
  return [
    { add: { chain } },
    { flush: { chain } },
    ...body.rules.map((r) => addRule(family, FIREWALL_TABLE, chain.name, [...r.expr], r.comment)),
    addRule(family, FIREWALL_TABLE, chain.name, [{ drop: null }]),
    { add: mapElement(family, address, true) },
  ];
}

/**
 * Removes a client address's chain. Each object is added first, so the
 * deletes cannot fail on something already gone (a chain removed by hand must
 * not make the whole document fail).
 */
export function planDeleteChain(family: Family, address: string): NftCommand[] {
  const chain = chainRef(family, address);
  return [
    { add: { chain } },
    { add: mapElement(family, address, true) },
    { delete: mapElement(family, address, false) },
    { flush: { chain } },
    { delete: { chain } },
  ];
}

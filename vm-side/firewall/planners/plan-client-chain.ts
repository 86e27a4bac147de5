import type { NftCommand } from '../../planners/nft-json';
import type { Family } from './firewall-model';
import { CLIENTS_MAP, FIREWALL_TABLE, clientChainName, revisionChainName } from './firewall-names';
import { addRule, adminProhibited } from './render-nft-rule';

/** A rule body per line of the chain; the chain always ends in the client's default: reject (section 3). */
export interface ChainBody {
  readonly rules: readonly { readonly expr: readonly unknown[]; readonly comment?: string }[];
}

const chainRef = (family: Family, name: string) => ({ family, table: FIREWALL_TABLE, name });

const mapElement = (family: Family, address: string, withVerdict: boolean) => ({
  element: {
    family,
    table: FIREWALL_TABLE,
    name: CLIENTS_MAP,
    elem: [withVerdict ? [address, { jump: { target: clientChainName(address) } }] : address],
  },
});

const gotoRevision = (address: string, revision: number) => [
  { goto: { target: revisionChainName(address, revision) } },
];

/** `add` first, so removing cannot fail on a chain already gone (one removed by hand must not fail the document). */
function removeChain(family: Family, name: string): NftCommand[] {
  const chain = chainRef(family, name);
  return [{ add: { chain } }, { flush: { chain } }, { delete: { chain } }];
}

/**
 * Gives one client address new rules by adding only: a new revision chain,
 * and a `goto` to it inserted first in the address's dispatch chain (the
 * older `goto`s below it are never reached).
 *
 * Why only adding: the kernel frees what a transaction removed or updated
 * after an RCU grace period, and every process closing its nftables socket
 * waits for that (10 ms and more on a busy provider) — most of an update's
 * time when `nft` flushed and refilled the chain. Even `add chain` of an
 * existing chain is such an update, so the dispatch chain and its map element
 * are added only when `ensureDispatch` says they may be missing (a new
 * address, or one only seen in the kernel); the element is added after the
 * chain it jumps to, as the kernel refuses a jump to a missing chain.
 */
export function planWriteChain(
  family: Family,
  address: string,
  body: ChainBody,
  revision: number,
  ensureDispatch: boolean,
): NftCommand[] {
  const target = revisionChainName(address, revision);
  const dispatch = chainRef(family, clientChainName(address));
  const insertGoto = {
    insert: { rule: { family, table: FIREWALL_TABLE, chain: dispatch.name, expr: gotoRevision(address, revision) } },
  };
  return [
    { add: { chain: chainRef(family, target) } },
    ...body.rules.map((r) => addRule(family, FIREWALL_TABLE, target, [...r.expr], r.comment)),
    // Reject, not a silent drop, as upstream: a blocked connection fails at once instead of hanging until timeout.
    addRule(family, FIREWALL_TABLE, target, [adminProhibited(family)]),
    ...(ensureDispatch
      ? [{ add: { chain: dispatch } }, insertGoto, { add: mapElement(family, address, true) }]
      : [insertGoto]),
  ];
}

/**
 * Leaves the dispatch chain with its one `goto` to the live revision and
 * removes the superseded revisions. Changes no verdict, so it runs after the
 * reply, in a transaction of its own.
 */
export function planTidyChain(family: Family, address: string, live: number, stale: readonly number[]): NftCommand[] {
  const dispatch = chainRef(family, clientChainName(address));
  return [
    { flush: { chain: dispatch } },
    addRule(family, FIREWALL_TABLE, dispatch.name, gotoRevision(address, live)),
    ...stale.flatMap((r) => removeChain(family, revisionChainName(address, r))),
  ];
}

/**
 * Removes a client address: its map element, then its dispatch chain's
 * `goto`s, its revisions, and the dispatch chain itself. Each object is
 * added first, so the deletes cannot fail on something already gone.
 */
export function planDeleteChain(family: Family, address: string, revisions: readonly number[]): NftCommand[] {
  const dispatch = chainRef(family, clientChainName(address));
  return [
    { add: { chain: dispatch } },
    { add: mapElement(family, address, true) },
    { delete: mapElement(family, address, false) },
    { flush: { chain: dispatch } },
    ...revisions.flatMap((r) => removeChain(family, revisionChainName(address, r))),
    { delete: { chain: dispatch } },
  ];
}

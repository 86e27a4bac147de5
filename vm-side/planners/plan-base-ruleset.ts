import { QUBES_TABLE, SET_TYPES, USER_CHAINS, baseChains } from './base-ruleset';
import type { NftCommand, NftFamily, TableRef } from './nft-json';
import type { NftTableState } from './nft-state';
import { planChainContent, planChainExists } from './plan-chain';
import { dnsNatChain, DNS_CHAIN } from './plan-dns-nat';

/** The antispoof pairs of one family: which source address may arrive on which vif. */
export interface AntispoofEntries {
  readonly allowed: readonly { readonly dev: string; readonly ip: string }[];
  readonly downstream: readonly string[];
}

export const allowedKey = (dev: string, ip: string): string => `${dev} . ${ip}`;

function elementCommands(verb: 'add' | 'delete', ref: TableRef, set: string, elems: readonly unknown[]): NftCommand[] {
  if (elems.length === 0) return [];
  return [{ [verb]: { element: { family: ref.family, table: ref.table, name: set, elem: elems } } }];
}

/** Desired elements against observed ones: stale keys out, missing keys in. */
function planSetElements(
  ref: TableRef,
  set: string,
  desired: ReadonlyMap<string, unknown>,
  observed: readonly string[],
): NftCommand[] {
  const have = new Set(observed);
  const stale = observed.filter((k) => !desired.has(k));
  const missing = [...desired.entries()].filter(([k]) => !have.has(k)).map(([, elem]) => elem);
  return [
    ...elementCommands(
      'delete',
      ref,
      set,
      stale.map((k) => toElement(k)),
    ),
    ...elementCommands('add', ref, set, missing),
  ];
}

function toElement(key: string): unknown {
  const parts = key.split(' . ');
  return parts.length === 1 ? key : { concat: parts };
}

/**
 * Table `ip qubes` or `ip6 qubes` of a network-providing qube, as one list of
 * nft commands (one transaction): the table, its sets and their elements,
 * the base chains replaced when they differ, and the user's chains and the
 * DNS chain created only when missing. Nothing here deletes the table:
 * without it there would be no antispoofing at all.
 */
export function planBaseRuleset(
  family: NftFamily,
  entries: AntispoofEntries,
  observed: NftTableState | undefined,
): NftCommand[] {
  const ref: TableRef = { family, table: QUBES_TABLE };
  const cmds: NftCommand[] = [];
  if (!observed) cmds.push({ add: { table: { family, name: QUBES_TABLE } } });
  const types = SET_TYPES[family];
  for (const [name, type] of [
    ['allowed', types.allowed],
    ['downstream', types.downstream],
  ] as const) {
    if (!observed?.sets.has(name)) cmds.push({ add: { set: { family, table: QUBES_TABLE, name, type } } });
  }
  for (const name of USER_CHAINS) cmds.push(...planChainExists(ref, { name, rules: [] }, observed?.chains.get(name)));
  if (family === 'ip') {
    // Until qubes.DnsUpdate says otherwise, DNS1/DNS2 are dropped (fail closed), never routed upstream raw.
    cmds.push(...planChainExists(ref, dnsNatChain([]), observed?.chains.get(DNS_CHAIN)));
  }
  for (const spec of baseChains(family)) cmds.push(...planChainContent(ref, spec, observed?.chains.get(spec.name)));

  const allowed = new Map(entries.allowed.map(({ dev, ip }) => [allowedKey(dev, ip), { concat: [dev, ip] }]));
  const downstream = new Map(entries.downstream.map((ip) => [ip, ip]));
  cmds.push(
    ...planSetElements(ref, 'allowed', allowed, observed?.sets.get('allowed') ?? []),
    ...planSetElements(ref, 'downstream', downstream, observed?.sets.get('downstream') ?? []),
  );
  return cmds;
}

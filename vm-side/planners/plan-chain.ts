import type { ChainHook, ChainSpec, NftCommand, NftExpr, TableRef } from './nft-json';
import type { NftChainState } from './nft-state';
import { ruleTag } from './rule-tag';

const sameHook = (a: ChainHook | undefined, b: ChainHook | undefined) =>
  a === b || (!!a && !!b && a.type === b.type && a.hook === b.hook && a.prio === b.prio && a.policy === b.policy);

export function chainObject(ref: TableRef, spec: Pick<ChainSpec, 'name' | 'hook'>): NftCommand {
  return { chain: { family: ref.family, table: ref.table, name: spec.name, ...(spec.hook ?? {}) } };
}

export function ruleCommand(ref: TableRef, chain: string, expr: readonly NftExpr[]): NftCommand {
  return { add: { rule: { family: ref.family, table: ref.table, chain, expr, comment: ruleTag(expr) } } };
}

/** Commands that create the chain when it is missing; an existing chain is left alone. */
export function planChainExists(ref: TableRef, spec: ChainSpec, observed: NftChainState | undefined): NftCommand[] {
  if (observed) return [];
  return [{ add: chainObject(ref, spec) }, ...spec.rules.map((r) => ruleCommand(ref, spec.name, r))];
}

/**
 * Commands that make the chain hold exactly `spec.rules`, replacing its
 * content in the same transaction when anything differs; none when it already
 * does. A base chain whose hook changed is recreated.
 */
export function planChainContent(ref: TableRef, spec: ChainSpec, observed: NftChainState | undefined): NftCommand[] {
  if (!observed) return planChainExists(ref, spec, observed);
  const cmds: NftCommand[] = [];
  if (!sameHook(observed.hook, spec.hook)) {
    cmds.push({ flush: chainObject(ref, spec) }, { delete: chainObject(ref, spec) }, { add: chainObject(ref, spec) });
  } else {
    const want = spec.rules.map(ruleTag);
    const same = want.length === observed.ruleComments.length && want.every((t, i) => observed.ruleComments[i] === t);
    if (same) return [];
    cmds.push({ flush: chainObject(ref, spec) });
  }
  return [...cmds, ...spec.rules.map((r) => ruleCommand(ref, spec.name, r))];
}

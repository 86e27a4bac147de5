// Builders for libnftables' JSON schema (`nft -j`), so rules read close to
// their nft text form. Pure data; nothing here talks to the kernel.

export type NftCommand = Record<string, unknown>;
export type NftExpr = Record<string, unknown>;
export type NftFamily = 'ip' | 'ip6';

export const meta = (key: string): NftExpr => ({ meta: { key } });
export const payload = (protocol: string, field: string): NftExpr => ({ payload: { protocol, field } });
export const ct = (key: string): NftExpr => ({ ct: { key } });

export function match(left: NftExpr, right: unknown, op: '==' | '!=' | 'in' = '=='): NftExpr {
  return { match: { op, left, right } };
}

export const saddr = (family: NftFamily): NftExpr => payload(family, 'saddr');
export const daddr = (family: NftFamily): NftExpr => payload(family, 'daddr');
export const counter: NftExpr = { counter: null };
export const accept: NftExpr = { accept: null };
export const drop: NftExpr = { drop: null };
export const jump = (target: string): NftExpr => ({ jump: { target } });
export const goto = (target: string): NftExpr => ({ goto: { target } });

/** A base chain's hook: what makes the kernel call it. Priorities as numbers (raw -300, dstnat -100, filter 0, srcnat 100). */
export interface ChainHook {
  readonly type: 'filter' | 'nat';
  readonly hook: 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';
  readonly prio: number;
  readonly policy: 'accept' | 'drop';
}

export const PRIORITY = { raw: -300, dstnat: -100, filter: 0, srcnat: 100 } as const;

export interface ChainSpec {
  readonly name: string;
  readonly hook?: ChainHook;
  readonly rules: readonly (readonly NftExpr[])[];
}

export interface TableRef {
  readonly family: NftFamily;
  readonly table: string;
}

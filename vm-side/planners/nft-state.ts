import type { ChainHook } from './nft-json';

/** One chain as the kernel holds it, reduced to what planners compare. */
export interface NftChainState {
  readonly hook?: ChainHook;
  /** The comment of each rule, in order ('' for a rule without one). */
  readonly ruleComments: readonly string[];
}

/** One table; a set's elements are keys like `10.137.0.5` or `vif3.0 . 10.137.0.5`. */
export interface NftTableState {
  readonly chains: ReadonlyMap<string, NftChainState>;
  readonly sets: ReadonlyMap<string, readonly string[]>;
}

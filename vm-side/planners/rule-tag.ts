import type { NftExpr } from './nft-json';

/** Marks the rules qnet writes; a rule whose comment lacks it was written by someone else. */
export const RULE_TAG_PREFIX = 'qnet:';

/**
 * A rule's comment is a hash of its own expression, so comparing comments
 * tells whether the kernel holds exactly the rules we would write, without
 * parsing back nft's normalized form of every expression.
 */
export function ruleTag(expr: readonly NftExpr[]): string {
  return `${RULE_TAG_PREFIX}${fnv1a(JSON.stringify(expr))}`;
}

/** FNV-1a, 32 bits: small, pure, and plenty to detect a changed rule (not a security boundary). */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

import { PolicySyntaxError } from '../errors';
import { pyRepr } from './py-repr';

/**
 * The four places a qube designation appears, named as upstream names its
 * token classes (the name shows up in "invalid source token" messages).
 */
export type TokenContext = 'source' | 'target' | 'redirect' | 'intendedtarget';

export type TokenKind =
  'name' | 'wildcard' | 'adminvm' | 'anyvm' | 'default' | 'type' | 'tag' | 'dispvm' | 'dispvm-template' | 'dispvm-tag';

export interface VmToken {
  readonly kind: TokenKind;
  /** The token as written: `dom0`, `@adminvm` and `uuid:0…0` stay distinct strings that match alike. */
  readonly text: string;
  /** What follows the prefix of `@type:`, `@tag:`, `@dispvm:`, `@dispvm:@tag:`. */
  readonly value: string;
}

interface Keyword {
  readonly kind: TokenKind;
  readonly contexts: readonly TokenContext[];
}

// Declaration order matters: upstream tries exact keywords, then prefixes, in this order.
const EXACT: ReadonlyArray<readonly [string, Keyword]> = [
  ['*', { kind: 'wildcard', contexts: ['source', 'target'] }],
  ['@adminvm', { kind: 'adminvm', contexts: ['source', 'target', 'redirect', 'intendedtarget'] }],
  ['@anyvm', { kind: 'anyvm', contexts: ['source', 'target'] }],
  ['@default', { kind: 'default', contexts: ['target', 'intendedtarget'] }],
  ['@dispvm', { kind: 'dispvm', contexts: ['target', 'redirect', 'intendedtarget'] }],
];
const PREFIXES: ReadonlyArray<readonly [string, Keyword]> = [
  ['@type:', { kind: 'type', contexts: ['source', 'target'] }],
  ['@tag:', { kind: 'tag', contexts: ['source', 'target'] }],
  ['@dispvm:', { kind: 'dispvm-template', contexts: ['source', 'target', 'redirect', 'intendedtarget'] }],
  ['@dispvm:@tag:', { kind: 'dispvm-tag', contexts: ['source', 'target'] }],
];

export interface Where {
  readonly file: string | null;
  readonly line: number | null;
}

/** Upstream formats a missing line number as 0 for tokens built outside a file. */
const NOWHERE: Where = { file: null, line: 0 };

export function parseVmToken(untrustedToken: string, context: TokenContext, where: Where = NOWHERE): VmToken {
  const token = untrustedToken;
  if (token === '') {
    throw new PolicySyntaxError(where.file, where.line, `invalid empty ${context} token`);
  }
  if (!(token.startsWith('@') || token === '*')) return { kind: 'name', text: token, value: token };
  for (const [exact, kw] of EXACT) {
    if (kw.contexts.includes(context) && token === exact) return { kind: kw.kind, text: token, value: '' };
  }
  for (const [prefix, kw] of PREFIXES) {
    if (!kw.contexts.includes(context) || !token.startsWith(prefix)) continue;
    const value = token.slice(prefix.length);
    if (value === '') {
      throw new PolicySyntaxError(where.file, where.line, `invalid empty ${prefix} token: ${pyRepr(token)}`);
    }
    // `@dispvm:@tag:x` must reach the longer prefix; anything else starting with @ is invalid
    if (value.startsWith('@')) continue;
    return { kind: kw.kind, text: token, value };
  }
  throw new PolicySyntaxError(where.file, where.line, `invalid ${context} token: ${pyRepr(untrustedToken)}`);
}

const DOM0_NAMES = new Set(['@adminvm', 'dom0', 'uuid:00000000-0000-0000-0000-000000000000']);

/** `dom0`, `@adminvm` and the all-zero uuid name the same qube, in every column. */
export const isDom0 = (text: string): boolean => DOM0_NAMES.has(text);

import type { z } from 'zod';
import { describeIssue } from '../errors/describe-issue';
import { unpackStrict } from './strict-unpackr';

export type DecodeFailure =
  { kind: 'too-large'; limit: number } | { kind: 'not-msgpack' } | { kind: 'invalid'; message: string };

/**
 * cap → msgpack → strict schema, the one path untrusted bytes take. Returns a
 * failure description instead of throwing so that the request side and the
 * reply side can each map it to their own error class.
 */
export function decodeValue<T extends z.ZodType>(
  schema: T,
  untrustedBytes: Uint8Array,
  limit: number,
): { ok: true; value: z.output<T> } | { ok: false; failure: DecodeFailure } {
  if (untrustedBytes.length > limit) return { ok: false, failure: { kind: 'too-large', limit } };
  let untrustedValue: unknown;
  try {
    untrustedValue = unpackStrict(untrustedBytes);
  } catch {
    // Includes RangeError from deep nesting and "data read, but end of buffer not reached".
    return { ok: false, failure: { kind: 'not-msgpack' } };
  }
  if (hasPrototypeKey(untrustedValue)) {
    return { ok: false, failure: { kind: 'invalid', message: 'a map key "__proto__" is not accepted' } };
  }
  let parsed: z.ZodSafeParseResult<z.output<T>>;
  try {
    parsed = schema.safeParse(untrustedValue);
  } catch {
    // A pathological value (very deep arrays) can overflow zod's recursion too.
    return { ok: false, failure: { kind: 'invalid', message: 'value nested too deeply' } };
  }
  if (!parsed.success)
    return { ok: false, failure: { kind: 'invalid', message: describeIssue(parsed.error.issues[0]) } };
  return { ok: true, value: parsed.data };
}

/**
 * msgpackr silently renames a `__proto__` map key to `__proto_` (so an
 * object cannot be poisoned), which would turn one key into another and let
 * two distinct keys collide. Neither spelling has a use in qnet's documents:
 * refuse both rather than store something other than what was sent.
 */
function hasPrototypeKey(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length) {
    const v = pending.pop();
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      pending.push(...(v as unknown[]));
      continue;
    }
    if (v instanceof Uint8Array) continue;
    for (const [key, inner] of Object.entries(v)) {
      if (key === '__proto_' || key === '__proto__') return true;
      pending.push(inner);
    }
  }
  return false;
}

export function describeDecodeFailure(failure: DecodeFailure, what: string): string {
  switch (failure.kind) {
    case 'too-large':
      return `${what} exceeds ${failure.limit} bytes`;
    case 'not-msgpack':
      return `${what} is not valid msgpack`;
    case 'invalid':
      return failure.message;
  }
}

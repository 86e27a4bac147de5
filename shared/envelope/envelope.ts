import { z } from 'zod';

export const WireError = z.strictObject({
  code: z.string().max(64),
  message: z.string().max(1024),
});
export type WireError = z.infer<typeof WireError>;

/** `{ok: true, result}` or `{ok: false, error: {code, message}}`: the one shape every service answers with. */
export function envelopeSchema<R extends z.ZodType>(result: R) {
  return z.discriminatedUnion('ok', [
    z.strictObject({ ok: z.literal(true), result }),
    z.strictObject({ ok: z.literal(false), error: WireError }),
  ]);
}

export type Envelope<T> = { ok: true; result: T } | { ok: false; error: WireError };

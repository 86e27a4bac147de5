import { z } from 'zod';

/**
 * dom0 stamps each pushed document per (qube, service). The decoder turns
 * 64-bit msgpack integers into strings, so a decimal string is accepted and
 * normalized when it fits a safe integer.
 */
export const Generation = z
  .union([
    z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    z
      .string()
      .regex(/^[0-9]{1,16}$/)
      .transform(Number)
      .pipe(z.number().max(Number.MAX_SAFE_INTEGER)),
  ])
  .describe('generation');
export type Generation = z.infer<typeof Generation>;

export const AppliedGeneration = z.strictObject({ appliedGeneration: Generation });

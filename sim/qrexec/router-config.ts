import { z } from 'zod';
import { QubeName } from '../../services/schemas/qube-name';

/** What `router-main` reads: the router's own config plus where the policy lives. Written by `qnet sim up`. */
export const SimRouterFile = z.strictObject({
  adminVm: QubeName,
  callTimeoutMs: z.number().int().positive(),
  qubes: z.array(z.strictObject({ name: QubeName, callerSocket: z.string(), serviceDir: z.string() })),
  policyDirs: z.array(z.string()).min(1),
  systemInfoPath: z.string(),
});
export type SimRouterFile = z.infer<typeof SimRouterFile>;

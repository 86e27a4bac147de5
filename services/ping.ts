import { z } from 'zod';
import { defineService } from '../shared/contract/define-service';

/** Liveness and identity of a qnet process: which services it serves, and who qrexec says called. */
export const Ping = defineService({
  name: 'qnet.Ping',
  summary: 'report the serving process, its services, and the caller as qrexec identified it',
  request: z.strictObject({ nonce: z.string().max(64).optional() }),
  response: z.strictObject({
    nonce: z.string().max(64).optional(),
    /** The source as the runtime saw it (environment or descriptor), for checking the plumbing. */
    caller: z.string().max(31),
    services: z.array(z.string().max(64)).max(64),
    version: z.string().max(32),
  }),
  maxRequestBytes: 256,
});

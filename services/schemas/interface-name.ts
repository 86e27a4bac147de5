import { z } from 'zod';

/** A Linux interface name (IFNAMSIZ 16 with the NUL), without characters `ip` or `nft` would treat specially. */
export const InterfaceName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/, 'expected an interface name of at most 15 characters');
export type InterfaceName = z.infer<typeof InterfaceName>;

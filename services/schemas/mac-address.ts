import { z } from 'zod';

/** Normalized to lower case: interfaces are matched by MAC, and the kernel prints lower case. */
export const MacAddress = z
  .string()
  .regex(/^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}$/, 'expected a MAC address aa:bb:cc:dd:ee:ff')
  .transform((mac) => mac.toLowerCase());
export type MacAddress = z.infer<typeof MacAddress>;

/** The MAC of the netvm's side of every client link (Xen's vifN.0). */
export const NETVM_VIF_MAC = 'fe:ff:ff:ff:ff:ff';

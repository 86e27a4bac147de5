import { z } from 'zod';

/** Qubes naming: a letter, then `[A-Za-z0-9_.-]`, 31 characters at most. */
export const QUBE_NAME_RE = /^[A-Za-z][A-Za-z0-9_.-]{0,30}$/;
export const QubeName = z.string().max(31).regex(QUBE_NAME_RE, 'expected a qube name');
export type QubeName = z.infer<typeof QubeName>;

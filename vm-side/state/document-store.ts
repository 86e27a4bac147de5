import { token } from '../../shared/di/token';

/** One applied document and the generation dom0 stamped on it. */
export interface StoredDocument<T = unknown> {
  readonly generation: number;
  readonly document: T;
}

/**
 * The last applied document of each service, kept across restarts so the
 * agent can converge the kernel before it serves a call and can refuse a
 * stale generation. Keyed by service name (`qubes.NetConfig`, ...).
 */
export interface DocumentStore {
  load<T = unknown>(service: string): Promise<StoredDocument<T> | undefined>;
  /** Atomic: a crash leaves the previous document or the new one, never a torn file. */
  save(service: string, generation: number, document: unknown): Promise<void>;
  /** Every stored service name, for convergence at start. */
  services(): Promise<string[]>;
}
export const DocumentStore = token<DocumentStore>('DocumentStore');

/** Where a service's document lives under the state directory; also rejects names that could escape it. */
export function documentFileName(service: string): string {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(service) || service.startsWith('.')) {
    throw new RangeError(`invalid service name for the document store: ${JSON.stringify(service.slice(0, 64))}`);
  }
  return `${service}.json`;
}

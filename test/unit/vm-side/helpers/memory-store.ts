import type { DocumentStore, StoredDocument } from '../../../../vm-side/state/document-store';

/** An in-memory DocumentStore whose saved documents a test can inspect. */
export function memoryStore(
  initial: Record<string, StoredDocument> = {},
): DocumentStore & { saved: Map<string, StoredDocument> } {
  const saved = new Map(Object.entries(initial));
  return {
    saved,
    load: async <T>(service: string) => saved.get(service) as StoredDocument<T> | undefined,
    save: async (service, generation, document) => void saved.set(service, { generation, document }),
    services: async () => [...saved.keys()],
  };
}

import type { Inventory } from '../inventory/inventory';
import { buildQubeDocuments } from './build-documents';
import { documentKey, type DocumentSet, type QubeDocument } from './document-types';
import { clientsByProvider, deriveNetwork, type QubeNetwork } from './qube-network';

/** The model of one inventory at one instant: resolved qubes and every document, ready to diff. */
export interface NetworkSnapshot {
  readonly inventory: Inventory;
  /** Milliseconds; rules whose expire time is before this are gone. */
  readonly now: number;
  readonly network: ReadonlyMap<string, QubeNetwork>;
  readonly clients: ReadonlyMap<string, readonly QubeNetwork[]>;
  readonly documents: DocumentSet;
}

/** All documents of an inventory, from scratch. Pure: `now` is passed in. */
export function computeSnapshot(inventory: Inventory, now: number): NetworkSnapshot {
  const network = deriveNetwork(inventory, now);
  const clients = clientsByProvider(network);
  const documents = new Map<string, QubeDocument>();
  for (const q of network.values()) {
    for (const doc of buildQubeDocuments(q, { network, clients }))
      documents.set(documentKey(doc.qube, doc.service), doc);
  }
  return { inventory, now, network, clients, documents };
}

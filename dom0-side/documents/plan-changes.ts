import type { Inventory } from '../inventory/inventory';
import { buildQubeDocuments } from './build-documents';
import { ALL_SERVICES, compareDocument, pushOrder, sortChanges, type DocumentChange } from './document-changes';
import { documentKey, type QubeDocument } from './document-types';
import { computeSnapshot, type NetworkSnapshot } from './network-snapshot';
import { clientsByProvider, deriveNetwork, sameQubeNetwork, type QubeNetwork } from './qube-network';

export interface ChangePlan {
  readonly snapshot: NetworkSnapshot;
  /** Every (qube, service) whose document was added, changed or removed, in name order. */
  readonly changes: DocumentChange[];
  /** The added and changed documents, in the order to push them. */
  readonly push: ReturnType<typeof pushOrder>;
  /** The qubes with at least one changed document, in name order. */
  readonly changedQubes: string[];
}

/**
 * Which qubes' documents may have changed when `q` did: its own, its old and
 * new provider's (client tables and firewalls), and those of its clients
 * before and after (their gateway is its address).
 */
function addAffected(
  affected: Set<string>,
  name: string,
  before: NetworkSnapshot,
  after: { network: ReadonlyMap<string, QubeNetwork>; clients: ReadonlyMap<string, readonly QubeNetwork[]> },
): void {
  affected.add(name);
  for (const side of [before, after]) {
    const q = side.network.get(name);
    if (q?.netvm) affected.add(q.netvm);
    for (const c of side.clients.get(name) ?? []) affected.add(c.name);
  }
}

/**
 * The new snapshot and exactly the documents that differ from `before`.
 * Resolving the qubes is O(n); documents are rebuilt only for qubes whose
 * resolved state (or a neighbour's) changed, the rest are carried over.
 */
export function planChanges(before: NetworkSnapshot, inventory: Inventory, now: number): ChangePlan {
  const network = deriveNetwork(inventory, now);
  const clients = clientsByProvider(network);
  const affected = new Set<string>();
  for (const [name, q] of network) {
    const old = before.network.get(name);
    if (!old || !sameQubeNetwork(old, q)) addAffected(affected, name, before, { network, clients });
  }
  for (const name of before.network.keys()) {
    if (!network.has(name)) addAffected(affected, name, before, { network, clients });
  }

  const documents = new Map(before.documents);
  const changes: DocumentChange[] = [];
  for (const name of affected) {
    const q = network.get(name);
    const rebuilt = q ? buildQubeDocuments(q, { network, clients }) : [];
    for (const service of ALL_SERVICES) {
      const key = documentKey(name, service);
      const next: QubeDocument | undefined = rebuilt.find((d) => d.service === service);
      const change = compareDocument(before.documents.get(key), next, name, service);
      if (next) documents.set(key, next);
      else documents.delete(key);
      if (change) changes.push(change);
    }
  }
  const snapshot: NetworkSnapshot = { inventory, now, network, clients, documents };
  sortChanges(changes);
  const changedQubes = [...new Set(changes.map((c) => c.qube))];
  return { snapshot, changes, push: pushOrder(changes, network), changedQubes };
}

/** The same from two inventories, for callers that kept no snapshot (the snapshot is the fast path). */
export function planChangesBetween(before: Inventory, after: Inventory, now: number): ChangePlan {
  return planChanges(computeSnapshot(before, now), after, now);
}

import {
  DNS_UPDATE,
  FIREWALL_SYNC,
  NET_CONFIG,
  SERVICE_PUSH_RANK,
  type DocumentSet,
  type DocumentService,
  type QubeDocument,
} from './document-types';
import { netvmDepth, type QubeNetwork } from './qube-network';

export type DocumentChange =
  | {
      readonly kind: 'added' | 'changed';
      readonly qube: string;
      readonly service: DocumentService;
      readonly document: QubeDocument;
    }
  | { readonly kind: 'removed'; readonly qube: string; readonly service: DocumentService };

export const ALL_SERVICES: readonly DocumentService[] = [NET_CONFIG, FIREWALL_SYNC, DNS_UPDATE];

/** The change of one (qube, service) between two document sets, or undefined when equal. */
export function compareDocument(
  before: QubeDocument | undefined,
  after: QubeDocument | undefined,
  qube: string,
  service: DocumentService,
): DocumentChange | undefined {
  if (after === undefined) return before === undefined ? undefined : { kind: 'removed', qube, service };
  if (before === undefined) return { kind: 'added', qube, service, document: after };
  return before.canonical === after.canonical ? undefined : { kind: 'changed', qube, service, document: after };
}

/** Brute force: every key of either set compared. The reference the incremental planner must agree with. */
export function diffDocumentSets(before: DocumentSet, after: DocumentSet): DocumentChange[] {
  const changes: DocumentChange[] = [];
  const keys = new Set([...before.keys(), ...after.keys()]);
  for (const key of keys) {
    const doc = before.get(key) ?? after.get(key)!;
    const change = compareDocument(before.get(key), after.get(key), doc.qube, doc.service);
    if (change) changes.push(change);
  }
  return sortChanges(changes);
}

/** Name, then service order: the canonical order for comparing change sets. */
export function sortChanges(changes: DocumentChange[]): DocumentChange[] {
  return changes.sort(
    (a, b) =>
      (a.qube < b.qube ? -1 : a.qube > b.qube ? 1 : 0) || SERVICE_PUSH_RANK[a.service] - SERVICE_PUSH_RANK[b.service],
  );
}

/**
 * The documents to push, in an order that never has a client configured
 * against a provider that is not yet: shallower qubes in the netvm tree
 * first, and per qube its NetConfig, then its clients' firewall, then DNS.
 * Removed documents have nothing to push (the qube is gone or no longer a
 * provider, and its clients' new providers get their own documents).
 */
export function pushOrder(
  changes: readonly DocumentChange[],
  network: ReadonlyMap<string, QubeNetwork>,
): Extract<DocumentChange, { document: QubeDocument }>[] {
  const depth = new Map<string, number>();
  const depthOf = (name: string) => {
    let d = depth.get(name);
    if (d === undefined) depth.set(name, (d = netvmDepth(network, name)));
    return d;
  };
  return changes
    .filter((c): c is Extract<DocumentChange, { document: QubeDocument }> => c.kind !== 'removed')
    .sort(
      (a, b) =>
        depthOf(a.qube) - depthOf(b.qube) ||
        (a.qube < b.qube ? -1 : a.qube > b.qube ? 1 : 0) ||
        SERVICE_PUSH_RANK[a.service] - SERVICE_PUSH_RANK[b.service],
    );
}

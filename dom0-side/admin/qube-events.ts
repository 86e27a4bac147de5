import type { Inventory } from '../inventory/inventory';
import type { InventoryChange } from '../inventory/inventory-backend';
import { firewallLines } from '../inventory/firewall-lines';
import type { Qube } from '../inventory/qube';
import type { QubeEventDraft } from './event-log';

/** The properties whose changes are reported, as qubesd names them, read from a stored qube. */
const PROPERTIES: Record<string, (q: Qube) => string | null> = {
  netvm: (q) => q.netvm,
  provides_network: (q) => (q.providesNetwork ? 'True' : 'False'),
  ip: (q) => q.ip ?? null,
  ip6: (q) => q.ip6 ?? null,
  mac: (q) => q.mac ?? null,
};

/**
 * The qubesadmin-style events one applied change makes, from the qube
 * before and after it (pure). Property events compare every reported
 * property, so a reset or a provides_network change that moved nothing is
 * not reported, and one change may make several events.
 */
export function qubeEventsOf(change: InventoryChange, before: Inventory, after: Inventory): QubeEventDraft[] {
  const name = change.kind === 'create' ? change.qube.name : change.name;
  const old = before.get(name);
  const now = after.get(name);
  switch (change.kind) {
    case 'create':
      return [{ event: 'domain-add', qube: name, args: {} }];
    case 'remove':
      return [{ event: 'domain-delete', qube: name, args: {} }];
    case 'set-power':
      if (old?.power === now?.power) return [];
      return [{ event: change.power === 'running' ? 'domain-start' : 'domain-shutdown', qube: name, args: {} }];
    case 'set-feature': {
      const oldvalue = old?.features[change.feature] ?? null;
      if (change.value === null) {
        return oldvalue === null ? [] : [{ event: `feature-delete:${change.feature}`, qube: name, args: { oldvalue } }];
      }
      return [{ event: `feature-set:${change.feature}`, qube: name, args: { value: change.value, oldvalue } }];
    }
    case 'set-firewall':
      return [{ event: 'firewall-changed', qube: name, args: {} }];
    default: {
      if (!old || !now) return [];
      const verb = change.kind === 'reset-property' ? 'property-reset' : 'property-set';
      return Object.entries(PROPERTIES)
        .filter(([, read]) => read(old) !== read(now))
        .map(([property, read]) => ({
          event: `${verb}:${property}`,
          qube: name,
          args: { name: property, newvalue: read(now), oldvalue: read(old) },
        }));
    }
  }
}

/**
 * The events between two whole inventories, for changes qnetd did not make
 * itself (qubesd's events, a resync): the same names as for its own changes,
 * qube by qube in name order.
 */
export function qubeEventsBetween(before: Inventory, after: Inventory): QubeEventDraft[] {
  const events: QubeEventDraft[] = [];
  const names = [...new Set([...before.map.keys(), ...after.map.keys()])].sort();
  for (const name of names) {
    const old = before.get(name);
    const now = after.get(name);
    if (!old || !now) {
      events.push({ event: now ? 'domain-add' : 'domain-delete', qube: name, args: {} });
      continue;
    }
    for (const [property, read] of Object.entries(PROPERTIES)) {
      if (read(old) === read(now)) continue;
      events.push({
        event: `property-set:${property}`,
        qube: name,
        args: { name: property, newvalue: read(now), oldvalue: read(old) },
      });
    }
    for (const feature of [...new Set([...Object.keys(old.features), ...Object.keys(now.features)])].sort()) {
      const [was, is] = [old.features[feature] ?? null, now.features[feature] ?? null];
      if (was === is) continue;
      events.push(
        is === null
          ? { event: `feature-delete:${feature}`, qube: name, args: { oldvalue: was } }
          : { event: `feature-set:${feature}`, qube: name, args: { value: is, oldvalue: was } },
      );
    }
    if (JSON.stringify(firewallLines(old)) !== JSON.stringify(firewallLines(now))) {
      events.push({ event: 'firewall-changed', qube: name, args: {} });
    }
    if (old.power !== now.power) {
      events.push({ event: now.power === 'running' ? 'domain-start' : 'domain-shutdown', qube: name, args: {} });
    }
  }
  return events;
}

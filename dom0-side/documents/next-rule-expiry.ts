import type { Inventory } from '../inventory/inventory';

/**
 * When the documents next change by the clock alone: the earliest expire time
 * (ms) of a rule still live at `now`, or undefined. The reconciler sets a
 * timer for it, so an expired rule leaves the provider without another change.
 */
export function nextRuleExpiry(inventory: Inventory, now: number): number | undefined {
  let next: number | undefined;
  for (const q of inventory.map.values()) {
    for (const rule of q.firewall ?? []) {
      if (!rule.expire) continue;
      // Live through its whole second (Qubes compares with <), gone just after.
      const goneAt = rule.expire.at * 1000 + 1;
      if (goneAt > now && (next === undefined || goneAt < next)) next = goneAt;
    }
  }
  return next;
}

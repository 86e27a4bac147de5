import { BadRequestError, quote } from '../../shared/errors/qnet-error';
import type { Inventory } from './inventory';
import type { Qube } from './qube';

/** The properties qnet's inventory holds, and so can return to their default itself. */
export const MODELLED_PROPERTIES = ['netvm', 'provides_network', 'ip', 'ip6', 'mac'] as const;
export type ModelledProperty = (typeof MODELLED_PROPERTIES)[number];

export function isModelledProperty(property: string): property is ModelledProperty {
  return (MODELLED_PROPERTIES as readonly string[]).includes(property);
}

function without<K extends keyof Qube>(q: Qube, key: K): Qube {
  const copy = { ...q };
  delete copy[key];
  return copy;
}

/**
 * The qube with one property back at Qubes's default, as qubesd's
 * `property.__delete__` leaves it: netvm follows `default_netvm` again,
 * provides_network is False, ip/ip6/mac are computed again. Pure; the
 * inventory validates the result (a provider with clients cannot stop
 * providing network). `undefined` for a property the inventory does not hold.
 */
export function withPropertyReset(inventory: Inventory, q: Qube, property: string): Qube | undefined {
  if (!isModelledProperty(property)) return undefined;
  switch (property) {
    case 'netvm':
      return { ...q, netvm: inventory.defaultNetvm === q.name ? null : inventory.defaultNetvm, netvmIsDefault: true };
    case 'provides_network':
      return { ...q, providesNetwork: false, providesNetworkIsDefault: true };
    default:
      return without(q, property);
  }
}

/** For a store that keeps only what it models: a clear refusal for anything else. */
export function requireModelledProperty(property: string): ModelledProperty {
  if (!isModelledProperty(property)) {
    throw new BadRequestError(
      `property ${quote(property, 64)} is not kept by qnet's embedded store (it has ${MODELLED_PROPERTIES.join(', ')})`,
    );
  }
  return property;
}

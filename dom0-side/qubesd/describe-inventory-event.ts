import type { QubesdEvent } from './qubesd-event';

/**
 * Properties the inventory reads (and `name`, since a rename is a remove
 * plus an add). qubesd announces a new domain id with `property-reset:xid`.
 */
const WATCHED_PROPERTIES = new Set(['netvm', 'provides_network', 'ip', 'ip6', 'mac', 'xid', 'qid', 'dispid', 'name']);
/** `property-del:` is the pre-4.1 name of `property-reset:`; qubesd still fires both. */
const PROPERTY_EVENT_RE = /^property-(set|reset|del):(.+)$/;
const QUBE_EVENTS = new Set(['domain-start', 'domain-shutdown', 'firewall-changed']);
const APP_EVENTS = new Set(['domain-add', 'domain-delete']);
const QUBE_EVENT_PREFIXES = ['domain-feature-set:', 'domain-feature-delete:', 'domain-tag-add:', 'domain-tag-delete:'];

/**
 * Why an event changes the inventory (`domain-start work`), or undefined
 * for the many events that do not (pre-events, stats, devices, volumes…).
 */
export function describeInventoryEvent(e: QubesdEvent): string | undefined {
  if (e.subject === null) {
    if (APP_EVENTS.has(e.event)) return `${e.event} ${e.kwargs.vm ?? '?'}`;
    // Qubes resets every qube following default_netvm when the global default changes.
    if (e.event === 'property-set:default_netvm' || e.event === 'property-reset:default_netvm') return e.event;
    return undefined;
  }
  const property = PROPERTY_EVENT_RE.exec(e.event);
  if (property) return WATCHED_PROPERTIES.has(property[2]) ? `${e.event} ${e.subject}` : undefined;
  if (QUBE_EVENTS.has(e.event) || QUBE_EVENT_PREFIXES.some((p) => e.event.startsWith(p))) {
    return `${e.event} ${e.subject}`;
  }
  return undefined;
}

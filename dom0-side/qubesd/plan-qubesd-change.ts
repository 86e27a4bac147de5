import { NotFoundError, BadRequestError, quote } from '../../shared/errors/qnet-error';
import { toApiLine } from '../firewall/rule-model';
import type { Inventory } from '../inventory/inventory';
import type { InventoryChange } from '../inventory/inventory-backend';
import type { Qube } from '../inventory/qube';
import { withPropertyReset } from '../inventory/reset-property';
import { UnsupportedChangeError } from './qubesd-errors';
import type { QubesdCall } from './qubesd-request';

export interface QubesdChangePlan {
  /** The inventory after the change, already validated (netvm loops, duplicate addresses…). */
  readonly next: Inventory;
  /** The one Admin API write that makes the change. */
  readonly call: QubesdCall;
}

/**
 * Creating, removing, starting and stopping qubes involve labels, templates,
 * storage and the whole qube lifecycle: that stays with Qubes's own tools.
 */
const LEFT_TO_QUBES: Readonly<Record<string, string>> = {
  create: 'qvm-create',
  remove: 'qvm-remove',
  'set-power': 'qvm-start or qvm-shutdown',
};

/** qubesd decodes feature and property payloads as strict ASCII. */
function checkAscii(value: string, what: string): void {
  if (!/^[\x20-\x7e]*$/.test(value)) throw new BadRequestError(`${what} must be printable ASCII, got ${quote(value)}`);
}

function withoutKey<T extends object, K extends keyof T>(value: T, key: K): Omit<T, K> {
  const copy = { ...value };
  delete copy[key];
  return copy;
}

function plan(current: Inventory, change: InventoryChange, q: Qube): { qube: Qube; call: QubesdCall } {
  const dest = q.name;
  const propertySet = (arg: string, payload: string): QubesdCall => ({
    method: 'admin.vm.property.Set',
    arg,
    dest,
    payload,
  });
  switch (change.kind) {
    case 'set-netvm':
      // An empty payload is None: qvm-prefs QUBE netvm '' and qubesadmin's `vm.netvm = None` send it so.
      return {
        qube: { ...q, netvm: change.netvm, netvmIsDefault: false },
        call: propertySet('netvm', change.netvm ?? ''),
      };
    case 'reset-property':
      // qubesd resets any property; only those qnet models change its view (the rest it does not read).
      return {
        qube: withPropertyReset(current, q, change.property) ?? q,
        call: { method: 'admin.vm.property.Reset', arg: change.property, dest },
      };
    case 'set-provides-network':
      return {
        qube: { ...q, providesNetwork: change.value, providesNetworkIsDefault: false },
        call: propertySet('provides_network', change.value ? 'True' : 'False'),
      };
    case 'set-address':
      if (change.value === null) {
        return {
          qube: withoutKey(q, change.family),
          call: { method: 'admin.vm.property.Reset', arg: change.family, dest },
        };
      }
      checkAscii(change.value, change.family);
      return { qube: { ...q, [change.family]: change.value }, call: propertySet(change.family, change.value) };
    case 'set-feature': {
      const features = { ...q.features };
      if (change.value === null) {
        delete features[change.feature];
        return { qube: { ...q, features }, call: { method: 'admin.vm.feature.Remove', arg: change.feature, dest } };
      }
      checkAscii(change.value, `feature ${quote(change.feature)}`);
      features[change.feature] = change.value;
      return {
        qube: { ...q, features },
        call: { method: 'admin.vm.feature.Set', arg: change.feature, dest, payload: change.value },
      };
    }
    case 'set-firewall': {
      // Qubes has no "unset": qvm-firewall --reset writes the single accept rule, which is its default.
      const rules = change.rules ?? [{ action: 'accept' as const }];
      return {
        qube: { ...q, firewall: rules },
        call: {
          method: 'admin.vm.firewall.Set',
          dest,
          payload: rules.map((rule) => `${toApiLine(rule)}\n`).join(''),
        },
      };
    }
    default:
      throw new UnsupportedChangeError(change.kind, LEFT_TO_QUBES[change.kind]);
  }
}

/** Throws for a change qnet does not make on qubesd, before anything is read or written. */
export function checkQubesdChangeSupported(change: InventoryChange): void {
  if (change.kind in LEFT_TO_QUBES) throw new UnsupportedChangeError(change.kind, LEFT_TO_QUBES[change.kind]);
}

/** What one change means on qubesd: the validated next inventory and the call that writes it. */
export function planQubesdChange(current: Inventory, change: InventoryChange): QubesdChangePlan {
  checkQubesdChangeSupported(change);
  const name = 'name' in change ? change.name : change.qube.name;
  const q = current.get(name);
  if (!q) throw new NotFoundError(`no such qube ${quote(name, 32)}`);
  const { qube, call } = plan(current, change, q);
  return { next: current.with(qube), call };
}

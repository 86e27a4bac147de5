import assert from 'node:assert/strict';
import { qubeEventsBetween, qubeEventsOf } from '../../../../dom0-side/admin/qube-events';
import { applyInventoryChange } from '../../../../dom0-side/inventory/embedded-backend';
import { Inventory } from '../../../../dom0-side/inventory/inventory';
import type { InventoryChange } from '../../../../dom0-side/inventory/inventory-backend';
import { defaultInstall, qube } from '../qube-fixture';

describe('dom0-side/admin qube events (qubesadmin names, from inventories)', () => {
  const start = () => Inventory.of(defaultInstall(), { defaultNetvm: 'sys-firewall' });
  const eventsOf = (change: InventoryChange) => {
    const before = start();
    const after = applyInventoryChange(before, change);
    return { own: qubeEventsOf(change, before, after), between: qubeEventsBetween(before, after) };
  };
  const names = (events: { event: string; qube: string }[]) => events.map((e) => `${e.event} ${e.qube}`);

  it("names a netvm change with old and new value, the same for qnetd's own change and a resync", () => {
    const { own, between } = eventsOf({ kind: 'set-netvm', name: 'work', netvm: 'sys-net' });
    assert.deepEqual(own, [
      {
        event: 'property-set:netvm',
        qube: 'work',
        args: { name: 'netvm', newvalue: 'sys-net', oldvalue: 'sys-firewall' },
      },
    ]);
    assert.deepEqual(between, own);
  });

  it('a reset is property-reset; a reset that moves nothing makes no event', () => {
    const moved = eventsOf({ kind: 'set-netvm', name: 'work', netvm: 'sys-net' });
    assert.equal(moved.own.length, 1);
    const before = applyInventoryChange(start(), { kind: 'set-netvm', name: 'work', netvm: 'sys-net' });
    const reset: InventoryChange = { kind: 'reset-property', name: 'work', property: 'netvm' };
    assert.deepEqual(names(qubeEventsOf(reset, before, applyInventoryChange(before, reset))), [
      'property-reset:netvm work',
    ]);
    const again = applyInventoryChange(before, reset);
    assert.deepEqual(qubeEventsOf(reset, again, applyInventoryChange(again, reset)), []);
  });

  it('power, features, firewall, add and delete', () => {
    assert.deepEqual(names(eventsOf({ kind: 'set-power', name: 'work', power: 'halted' }).between), [
      'domain-shutdown work',
    ]);
    const feature = eventsOf({ kind: 'set-feature', name: 'sys-net', feature: 'ipv6', value: '1' });
    assert.deepEqual(feature.own, [
      { event: 'feature-set:ipv6', qube: 'sys-net', args: { value: '1', oldvalue: null } },
    ]);
    assert.deepEqual(feature.between, feature.own);
    const fw = eventsOf({ kind: 'set-firewall', name: 'work', rules: [{ action: 'drop' }] });
    assert.deepEqual(names(fw.own), ['firewall-changed work']);
    assert.deepEqual(names(fw.between), ['firewall-changed work']);
    const add = eventsOf({ kind: 'create', qube: qube('dev', 20, { power: 'halted' }) });
    assert.deepEqual(names(add.between), ['domain-add dev']);
    assert.deepEqual(names(eventsOf({ kind: 'remove', name: 'personal' }).between), ['domain-delete personal']);
  });
});

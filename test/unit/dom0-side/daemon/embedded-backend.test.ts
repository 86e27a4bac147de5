import assert from 'node:assert/strict';
import sinon from 'sinon';
import {
  applyInventoryChange,
  EmbeddedInventoryBackend,
  freeId,
} from '../../../../dom0-side/inventory/embedded-backend';
import { Inventory } from '../../../../dom0-side/inventory/inventory';
import type { InventoryStore } from '../../../../dom0-side/inventory/inventory-store';
import { parseApiRule } from '../../../../dom0-side/firewall/parse-api-rule';
import { defaultInstall, qube } from '../qube-fixture';

const base = () => Inventory.of(defaultInstall());

describe('dom0-side/inventory EmbeddedInventoryBackend', () => {
  it('applies each kind of change, validated against the whole inventory', () => {
    let inv = applyInventoryChange(base(), { kind: 'set-netvm', name: 'work', netvm: 'sys-net' });
    assert.equal(inv.get('work')!.netvm, 'sys-net');
    inv = applyInventoryChange(inv, { kind: 'set-feature', name: 'sys-net', feature: 'ipv6', value: '1' });
    assert.deepEqual({ ...inv.get('sys-net')!.features }, { ipv6: '1' });
    inv = applyInventoryChange(inv, { kind: 'set-feature', name: 'sys-net', feature: 'ipv6', value: null });
    assert.deepEqual({ ...inv.get('sys-net')!.features }, {});
    inv = applyInventoryChange(inv, { kind: 'set-address', name: 'work', family: 'ip', value: '10.1.2.3' });
    assert.equal(inv.get('work')!.ip, '10.1.2.3');
    inv = applyInventoryChange(inv, { kind: 'set-address', name: 'work', family: 'ip', value: null });
    assert.equal('ip' in inv.get('work')!, false);
    const rules = [parseApiRule('action=drop')];
    inv = applyInventoryChange(inv, { kind: 'set-firewall', name: 'work', rules });
    assert.deepEqual(inv.get('work')!.firewall, rules);
    inv = applyInventoryChange(inv, { kind: 'set-firewall', name: 'work', rules: null });
    assert.equal(inv.get('work')!.firewall, undefined);
    inv = applyInventoryChange(inv, { kind: 'set-power', name: 'work', power: 'halted' });
    assert.equal(inv.get('work')!.power, 'halted');
    assert.throws(
      () => applyInventoryChange(inv, { kind: 'set-netvm', name: 'sys-net', netvm: 'work' }),
      /does not provide network/,
    );
    assert.throws(() => applyInventoryChange(inv, { kind: 'remove', name: 'sys-net' }), /does not exist|netvm/);
    assert.throws(() => applyInventoryChange(inv, { kind: 'remove', name: 'ghost' }), /no such qube "ghost"/);
    assert.throws(() => applyInventoryChange(inv, { kind: 'create', qube: qube('work', 50) }), /already exists/);
  });

  it('resets a property to its default: netvm follows default_netvm again, provides_network False, ip planned', () => {
    const withDefault = Inventory.of(defaultInstall(), { defaultNetvm: 'sys-firewall' });
    let inv = applyInventoryChange(withDefault, { kind: 'set-netvm', name: 'work', netvm: null });
    assert.equal(inv.get('work')!.netvm, null);
    inv = applyInventoryChange(inv, { kind: 'reset-property', name: 'work', property: 'netvm' });
    assert.equal(inv.get('work')!.netvm, 'sys-firewall');
    assert.equal(inv.get('work')!.netvmIsDefault, true);
    inv = applyInventoryChange(inv, { kind: 'set-address', name: 'work', family: 'ip', value: '10.1.2.3' });
    inv = applyInventoryChange(inv, { kind: 'reset-property', name: 'work', property: 'ip' });
    assert.equal(inv.get('work')!.ip, undefined);
    // The default netvm itself does not follow itself.
    inv = applyInventoryChange(inv, { kind: 'reset-property', name: 'sys-firewall', property: 'netvm' });
    assert.equal(inv.get('sys-firewall')!.netvm, null);
    inv = applyInventoryChange(inv, { kind: 'set-provides-network', name: 'work', value: true });
    inv = applyInventoryChange(inv, { kind: 'reset-property', name: 'work', property: 'provides_network' });
    assert.equal(inv.get('work')!.providesNetwork, false);
    // A provider with clients cannot drop back to False; a property the store does not keep is refused.
    assert.throws(
      () => applyInventoryChange(inv, { kind: 'reset-property', name: 'sys-firewall', property: 'provides_network' }),
      /does not provide network/,
    );
    assert.throws(
      () => applyInventoryChange(inv, { kind: 'reset-property', name: 'work', property: 'label' }),
      /not kept by qnet's embedded store/,
    );
    // Without a default_netvm (a fresh Qubes), a reset disconnects, as Qubes's default is None.
    const none = applyInventoryChange(base(), { kind: 'reset-property', name: 'work', property: 'netvm' });
    assert.equal(none.get('work')!.netvm, null);
  });

  it('moves the qubes that follow default_netvm when it changes, and keeps default_netvm from being removed', () => {
    const followers = defaultInstall().map((q) => (q.name === 'work' ? { ...q, netvmIsDefault: true } : q));
    const inv = Inventory.of(followers, { defaultNetvm: 'sys-firewall' }).withDefaultNetvm('sys-net');
    assert.equal(inv.get('work')!.netvm, 'sys-net');
    assert.equal(inv.get('personal')!.netvm, 'sys-firewall');
    assert.throws(() => Inventory.of(defaultInstall(), { defaultNetvm: 'work' }), /does not provide network/);
    const unused = Inventory.of(defaultInstall().concat(qube('sys-vpn', 30, { providesNetwork: true })), {
      defaultNetvm: 'sys-vpn',
    });
    assert.throws(() => unused.without('sys-vpn'), /default_netvm/);
  });

  it('picks the lowest free id', () => {
    assert.equal(freeId(base(), 'qid'), 1);
    assert.equal(freeId(Inventory.of([qube('a', 1), qube('b', 2)]), 'qid'), 3);
  });

  it('saves before the change is visible and serializes changes; a refused change saves nothing', async () => {
    const saved: Inventory[] = [];
    const store: InventoryStore = { load: sinon.fake.resolves(base()), save: async (inv) => void saved.push(inv) };
    const backend = new EmbeddedInventoryBackend(store);
    const [a, b] = await Promise.all([
      backend.apply({ kind: 'set-feature', name: 'work', feature: 'x', value: '1' }),
      backend.apply({ kind: 'set-feature', name: 'work', feature: 'y', value: '2' }),
    ]);
    assert.deepEqual({ ...a.get('work')!.features }, { x: '1' });
    assert.deepEqual({ ...b.get('work')!.features }, { x: '1', y: '2' });
    await assert.rejects(backend.apply({ kind: 'set-netvm', name: 'work', netvm: 'work' }), /own netvm/);
    assert.equal(saved.length, 2);
    assert.equal(await backend.load(), b);
    assert.equal((store.load as sinon.SinonSpy).callCount, 1);
  });
});

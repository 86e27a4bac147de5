import assert from 'node:assert/strict';
import { NotFoundError } from '../../../../shared/errors/qnet-error';
import { parseApiRule } from '../../../../dom0-side/firewall/parse-api-rule';
import { Inventory } from '../../../../dom0-side/inventory/inventory';
import { InvalidInventoryError } from '../../../../dom0-side/inventory/inventory-error';
import { planQubesdChange } from '../../../../dom0-side/qubesd/plan-qubesd-change';
import { UnsupportedChangeError } from '../../../../dom0-side/qubesd/qubesd-errors';
import { defaultInstall, qube } from '../qube-fixture';

const inv = () => Inventory.of(defaultInstall());

describe('planQubesdChange', () => {
  it('sets netvm with the name, or an empty payload for none', () => {
    const toNet = planQubesdChange(inv(), { kind: 'set-netvm', name: 'work', netvm: 'sys-net' });
    assert.deepEqual(toNet.call, { method: 'admin.vm.property.Set', arg: 'netvm', dest: 'work', payload: 'sys-net' });
    assert.equal(toNet.next.get('work')?.netvm, 'sys-net');
    const none = planQubesdChange(inv(), { kind: 'set-netvm', name: 'work', netvm: null });
    assert.deepEqual(none.call, { method: 'admin.vm.property.Set', arg: 'netvm', dest: 'work', payload: '' });
    assert.equal(none.next.get('work')?.netvm, null);
  });

  it('writes provides_network as Python booleans', () => {
    const p = planQubesdChange(inv(), { kind: 'set-provides-network', name: 'work', value: true });
    assert.equal(p.call.payload, 'True');
    assert.equal(p.next.get('work')?.providesNetwork, true);
    assert.equal(
      planQubesdChange(inv(), { kind: 'set-provides-network', name: 'work', value: false }).call.payload,
      'False',
    );
  });

  it('sets an address override, and resets it to the default with property.Reset', () => {
    const set = planQubesdChange(inv(), { kind: 'set-address', name: 'work', family: 'ip', value: '10.137.0.99' });
    assert.deepEqual(set.call, { method: 'admin.vm.property.Set', arg: 'ip', dest: 'work', payload: '10.137.0.99' });
    assert.equal(set.next.get('work')?.ip, '10.137.0.99');
    const withIp6 = Inventory.of(
      defaultInstall().map((q) => (q.name === 'work' ? { ...q, ip6: 'fd09:24ef:4179::a89:63' } : q)),
    );
    const reset = planQubesdChange(withIp6, { kind: 'set-address', name: 'work', family: 'ip6', value: null });
    assert.deepEqual(reset.call, { method: 'admin.vm.property.Reset', arg: 'ip6', dest: 'work' });
    assert.ok(!('ip6' in reset.next.get('work')!));
  });

  it('resets netvm with property.Reset, back to default_netvm, not a Set to none', () => {
    const current = Inventory.of(defaultInstall(), { defaultNetvm: 'sys-firewall' }).with({
      ...Inventory.of(defaultInstall()).get('work')!,
      netvm: 'sys-net',
    });
    const reset = planQubesdChange(current, { kind: 'reset-property', name: 'work', property: 'netvm' });
    assert.deepEqual(reset.call, { method: 'admin.vm.property.Reset', arg: 'netvm', dest: 'work' });
    assert.equal(reset.next.get('work')?.netvm, 'sys-firewall');
    assert.equal(reset.next.get('work')?.netvmIsDefault, true);
    // A property qnet does not model is still reset in qubesd; qnet's view stays as it was.
    const label = planQubesdChange(current, { kind: 'reset-property', name: 'work', property: 'label' });
    assert.deepEqual(label.call, { method: 'admin.vm.property.Reset', arg: 'label', dest: 'work' });
    assert.equal(label.next.get('work')?.netvm, 'sys-net');
  });

  it('sets and removes features', () => {
    const set = planQubesdChange(inv(), { kind: 'set-feature', name: 'sys-net', feature: 'ipv6', value: '1' });
    assert.deepEqual(set.call, { method: 'admin.vm.feature.Set', arg: 'ipv6', dest: 'sys-net', payload: '1' });
    assert.deepEqual(set.next.get('sys-net')?.features, { ipv6: '1' });
    const del = planQubesdChange(set.next, { kind: 'set-feature', name: 'sys-net', feature: 'ipv6', value: null });
    assert.deepEqual(del.call, { method: 'admin.vm.feature.Remove', arg: 'ipv6', dest: 'sys-net' });
    assert.deepEqual(del.next.get('sys-net')?.features, {});
  });

  it('refuses a non-ASCII feature value, which qubesd cannot decode', () => {
    assert.throws(
      () => planQubesdChange(inv(), { kind: 'set-feature', name: 'work', feature: 'x', value: 'é' }),
      /ASCII/,
    );
  });

  it('writes firewall rules one per line, and the accept rule for the default', () => {
    const rules = [parseApiRule('action=accept proto=tcp dstports=443-443'), parseApiRule('action=drop')];
    const set = planQubesdChange(inv(), { kind: 'set-firewall', name: 'work', rules });
    assert.deepEqual(set.call, {
      method: 'admin.vm.firewall.Set',
      dest: 'work',
      payload: 'action=accept proto=tcp dstports=443-443\naction=drop\n',
    });
    assert.deepEqual(set.next.get('work')?.firewall, rules);
    assert.equal(planQubesdChange(inv(), { kind: 'set-firewall', name: 'work', rules: [] }).call.payload, '');
    assert.equal(
      planQubesdChange(inv(), { kind: 'set-firewall', name: 'work', rules: null }).call.payload,
      'action=accept\n',
    );
  });

  it('validates against the whole inventory before planning any write', () => {
    assert.throws(
      () => planQubesdChange(inv(), { kind: 'set-netvm', name: 'sys-net', netvm: 'sys-firewall' }),
      InvalidInventoryError,
    );
    assert.throws(
      () => planQubesdChange(inv(), { kind: 'set-netvm', name: 'work', netvm: 'personal' }),
      InvalidInventoryError,
    );
    assert.throws(() => planQubesdChange(inv(), { kind: 'set-netvm', name: 'ghost', netvm: null }), NotFoundError);
  });

  it('leaves create, remove and power to Qubes tools, naming the tool', () => {
    assert.throws(
      () => planQubesdChange(inv(), { kind: 'create', qube: qube('new', 40) }),
      (err: unknown) => err instanceof UnsupportedChangeError && /qvm-create/.test(err.message),
    );
    assert.throws(() => planQubesdChange(inv(), { kind: 'remove', name: 'work' }), /qvm-remove/);
    assert.throws(() => planQubesdChange(inv(), { kind: 'set-power', name: 'work', power: 'halted' }), /qvm-start/);
  });
});

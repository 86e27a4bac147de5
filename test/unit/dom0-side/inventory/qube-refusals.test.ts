import assert from 'node:assert/strict';
import { applyInventoryChange } from '../../../../dom0-side/inventory/embedded-backend';
import { Inventory } from '../../../../dom0-side/inventory/inventory';
import { QubeInUseError, NetvmNotRunningError } from '../../../../dom0-side/inventory/qube-refusals';
import { defaultInstall, qube } from '../qube-fixture';

describe('dom0-side/inventory refusals (qubesd rules, blamed on the qube acted on)', () => {
  const inv = () => Inventory.of(defaultInstall(), { defaultNetvm: 'sys-firewall' });

  it('refuses removing default_netvm and a netvm in use, naming every use', () => {
    assert.throws(
      () => applyInventoryChange(inv(), { kind: 'remove', name: 'sys-firewall' }),
      (err: unknown) =>
        err instanceof QubeInUseError &&
        err.message ===
          'qube "sys-firewall" is in use (default_netvm; netvm of "personal", "work"); change those first',
    );
    assert.throws(
      () => applyInventoryChange(inv(), { kind: 'remove', name: 'sys-net' }),
      /^QubeInUseError: qube "sys-net" is in use \(netvm of "sys-firewall"\)/,
    );
    assert.equal(applyInventoryChange(inv(), { kind: 'remove', name: 'work' }).get('work'), undefined);
  });

  it('a provider turning provides_network off is blamed, not its client', () => {
    assert.throws(
      () => applyInventoryChange(inv(), { kind: 'set-provides-network', name: 'sys-net', value: false }),
      /qube "sys-net": cannot stop providing network: it is netvm of "sys-firewall"/,
    );
  });

  it('a netvm loop is reported on the qube whose netvm closed it', () => {
    assert.throws(
      () => applyInventoryChange(inv(), { kind: 'set-netvm', name: 'sys-net', netvm: 'sys-firewall' }),
      /qube "sys-net": netvm loop/,
    );
  });

  it('a reset to default_netvm that would attach a running qube to a halted netvm is refused', () => {
    const qubes = [
      ...defaultInstall().map((q) => (q.name === 'sys-firewall' ? { ...q, power: 'halted' as const } : q)),
      qube('dev', 12, { netvm: 'sys-net' }),
    ];
    const start = Inventory.of(qubes, { defaultNetvm: 'sys-firewall' });
    assert.throws(
      () => applyInventoryChange(start, { kind: 'reset-property', name: 'dev', property: 'netvm' }),
      (err: unknown) => err instanceof NetvmNotRunningError && /^qube "dev" is running/.test(err.message),
    );
  });
});

import assert from 'node:assert/strict';
import { parseApiRule } from '../../../../dom0-side/firewall/parse-api-rule';
import { Inventory } from '../../../../dom0-side/inventory/inventory';
import { InvalidInventoryError } from '../../../../dom0-side/inventory/inventory-error';
import { defaultInstall, qube } from '../qube-fixture';

function refused(build: () => unknown, message: RegExp): void {
  assert.throws(build, (err: unknown) => {
    assert.ok(err instanceof InvalidInventoryError, String(err));
    assert.equal(err.code, 'BAD_REQUEST');
    assert.match(err.message, message);
    return true;
  });
}

describe('dom0-side/inventory Inventory', () => {
  it('accepts a default install and lists it in name order', () => {
    const inv = Inventory.of(defaultInstall());
    assert.deepEqual(
      inv.list().map((q) => q.name),
      ['personal', 'sys-firewall', 'sys-net', 'work'],
    );
    assert.equal(inv.size, 4);
  });
  it('applies Qubes naming rules', () => {
    for (const name of ['a', 'Work-1.b_c', 'x'.repeat(31)]) assert.equal(Inventory.of([qube(name, 5)]).size, 1);
    for (const bad of ['', '1abc', '-a', 'a b', 'x'.repeat(32), 'a/b', 'caf\u00e9']) {
      refused(() => Inventory.of([qube(bad, 5)]), /invalid qube name/);
    }
    for (const reserved of ['none', 'default', 'dom0', 'work-dm']) {
      refused(() => Inventory.of([qube(reserved, 5)]), /reserved/);
    }
  });
  it('refuses bad and duplicate ids and names', () => {
    refused(() => Inventory.of([qube('a', 0)]), /qid must be an integer 1-9999/);
    refused(() => Inventory.of([qube('a', 10000)]), /qid must be/);
    refused(() => Inventory.of([qube('a', 5), qube('b', 5)]), /qid 5 is already used by "a"/);
    refused(() => Inventory.of([qube('a', 5), qube('a', 6)]), /name is used twice/);
  });
  it('gives DispVMs (and only them) a dispid, unique among disposables', () => {
    assert.equal(Inventory.of([qube('disp12', 40, { klass: 'DispVM', dispid: 12 })]).size, 1);
    refused(() => Inventory.of([qube('disp', 40, { klass: 'DispVM' })]), /dispid/);
    refused(() => Inventory.of([qube('a', 40, { dispid: 3 })]), /dispid/);
    refused(
      () =>
        Inventory.of([qube('d1', 40, { klass: 'DispVM', dispid: 3 }), qube('d2', 41, { klass: 'DispVM', dispid: 3 })]),
      /dispid 3 is already used/,
    );
    refused(() => Inventory.of([qube('a', 5, { klass: 'HVM' as never })]), /unknown class/);
  });
  it('refuses a netvm that is missing, is itself, or does not provide network', () => {
    refused(() => Inventory.of([qube('a', 5, { netvm: 'nope' })]), /netvm "nope" does not exist/);
    refused(() => Inventory.of([qube('a', 5, { netvm: 'a', providesNetwork: true })]), /its own netvm/);
    refused(() => Inventory.of([qube('a', 5), qube('b', 6, { netvm: 'a' })]), /netvm "a" does not provide network/);
  });
  it('refuses netvm loops', () => {
    refused(
      () =>
        Inventory.of([
          qube('a', 5, { providesNetwork: true, netvm: 'c' }),
          qube('b', 6, { providesNetwork: true, netvm: 'a' }),
          qube('c', 7, { providesNetwork: true, netvm: 'b' }),
        ]),
      /netvm loop/,
    );
  });
  it('validates address overrides and refuses duplicates, planned or overridden', () => {
    refused(() => Inventory.of([qube('a', 5, { ip: '10.137.0.300' })]), /not an IPv4 address/);
    refused(
      () => Inventory.of([qube('a', 5), qube('b', 6, { ip: '10.137.0.5' })]),
      /ip 10\.137\.0\.5 is already used by "a"/,
    );
    refused(
      () => Inventory.of([qube('a', 5, { ip6: 'fd00::1' }), qube('b', 6, { ip6: 'FD00:0::1' })]),
      /ip6 fd00::1 is already used/,
    );
    assert.equal(Inventory.of([qube('a', 5, { ip: '192.168.1.5', ip6: 'fd00::5' })]).get('a')?.ip, '192.168.1.5');
  });
  it('keeps a rule Qubes accepts even when the wire cannot carry it (the documents fail that qube closed)', () => {
    const both = parseApiRule('action=accept dsthost=1.2.3.4 specialtarget=dns');
    assert.equal(Inventory.of([qube('a', 5, { firewall: [both] })]).get('a')?.firewall?.length, 1);
  });
  it('takes a disposable with dispid 0, as qubesd draws dispids from 0-9999', () => {
    const disp = { ...qube('disp0', 7), klass: 'DispVM' as const, dispid: 0 };
    assert.equal(Inventory.of([disp]).get('disp0')?.dispid, 0);
    refused(() => Inventory.of([{ ...disp, dispid: -1 }]), /dispid 0-9999/);
    refused(() => Inventory.of([{ ...disp, dispid: 10000 }]), /dispid 0-9999/);
  });
  it('refuses a non-string feature and a bad power state', () => {
    refused(() => Inventory.of([qube('a', 5, { features: { ipv6: 1 as never } })]), /feature "ipv6" is not a string/);
    refused(() => Inventory.of([qube('a', 5, { power: 'paused' as never })]), /power state/);
  });
  it('changes by returning a new inventory, leaving the old one as it was', () => {
    const inv = Inventory.of(defaultInstall());
    const next = inv.with(qube('work', 10, { netvm: 'sys-net' }));
    assert.equal(inv.get('work')?.netvm, 'sys-firewall');
    assert.equal(next.get('work')?.netvm, 'sys-net');
    refused(() => inv.without('sys-firewall'), /netvm "sys-firewall" does not exist/);
    assert.equal(inv.without('work').size, 3);
    refused(() => inv.without('ghost'), /no such qube/);
    refused(() => inv.with(qube('work', 10, { netvm: 'personal' })), /does not provide network/);
  });
});

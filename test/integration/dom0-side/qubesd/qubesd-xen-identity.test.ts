import assert from 'node:assert/strict';
import { documentKey, NET_CONFIG } from '../../../../dom0-side/documents/document-types';
import { computeSnapshot } from '../../../../dom0-side/documents/network-snapshot';
import type { Inventory } from '../../../../dom0-side/inventory/inventory';
import { QubesdProtocolError } from '../../../../dom0-side/qubesd/qubesd-errors';
import { seedDefaultInstall, startHarness } from './qubesd-harness';

const netConfig = (inv: Inventory, qube: string) =>
  computeSnapshot(inv, 0).documents.get(documentKey(qube, NET_CONFIG))?.body as {
    uplink?: { mac: string };
    provider?: { clients: { name: string; vif: string }[] };
  };

describe('QubesdInventoryBackend: xid and mac from qubesd', () => {
  let h: Awaited<ReturnType<typeof startHarness>>;
  beforeEach(async () => {
    h = await startHarness();
    seedDefaultInstall(h.fake);
  });
  afterEach(() => h.dispose());

  it("reads each running qube's xid (a halted one's -1 is no xid) and names its vif after it", async () => {
    const inv = await h.backend.load();
    assert.deepEqual(
      inv.list().map((q) => [q.name, q.qid, q.xid]),
      [
        ['personal', 11, undefined],
        ['sys-firewall', 3, 2],
        ['sys-net', 2, 1],
        ['work', 10, 3],
      ],
    );
    assert.deepEqual(
      h.fake
        .callsOf('admin.vm.property.Get')
        .filter((c) => c.arg === 'xid')
        .map((c) => c.dest)
        .sort(),
      ['sys-firewall', 'sys-net', 'work'],
      'a halted qube has no domain: its xid is not asked for',
    );
    assert.deepEqual(netConfig(inv, 'sys-firewall').provider?.clients, [
      { name: 'work', ip: '10.137.0.10', vif: 'vif3.0' },
    ]);
  });

  it('after a restart under a new xid the provider document names the new vif', async () => {
    h.fake.setState('work', 'Halted');
    h.fake.setState('work', 'Running');
    const inv = await h.backend.load();
    assert.equal(inv.get('work')!.xid, 4);
    assert.deepEqual(
      netConfig(inv, 'sys-firewall').provider?.clients.map((c) => c.vif),
      ['vif4.0'],
    );
  });

  it("takes a mac set on the qube as its uplink's mac, the default otherwise", async () => {
    h.fake.addDomain({ name: 'custom', qid: 20, netvm: 'sys-firewall', mac: '00:16:3E:12:34:56' }, false);
    const inv = await h.backend.load();
    assert.equal(inv.get('custom')!.mac, '00:16:3e:12:34:56');
    assert.equal(inv.get('work')!.mac, undefined);
    assert.equal(netConfig(inv, 'custom').uplink?.mac, '00:16:3e:12:34:56');
    assert.equal(netConfig(inv, 'work').uplink?.mac, '00:16:3e:5e:6c:00');
  });

  it('writes mac through admin.vm.property.Set and resets it through admin.vm.property.Reset', async () => {
    let inv = await h.backend.apply({
      kind: 'set-address',
      name: 'personal',
      family: 'mac',
      value: '00:16:3e:aa:bb:cc',
    });
    assert.equal(inv.get('personal')!.mac, '00:16:3e:aa:bb:cc');
    assert.equal(h.fake.getProperty('personal', 'mac').value, '00:16:3e:aa:bb:cc');
    inv = await h.backend.apply({ kind: 'reset-property', name: 'personal', property: 'mac' });
    assert.equal(inv.get('personal')!.mac, undefined);
    assert.deepEqual(
      h.fake.calls.filter((c) => /\.(Set|Reset)$/.test(c.method)).map((c) => [c.method, c.arg, c.payload.toString()]),
      [
        ['admin.vm.property.Set', 'mac', '00:16:3e:aa:bb:cc'],
        ['admin.vm.property.Reset', 'mac', ''],
      ],
    );
  });

  it('refuses an xid reply that is not a guest domain id', async () => {
    h.fake.domains.get('work')!.xid = 0;
    await assert.rejects(
      h.backend.load(),
      (err: Error) => err instanceof QubesdProtocolError && /work\.xid/.test(err.message),
    );
  });
});

import assert from 'node:assert/strict';
import { diffDocumentSets } from '../../../../dom0-side/documents/document-changes';
import { documentKey, NET_CONFIG } from '../../../../dom0-side/documents/document-types';
import { guestFeatureError, guestFeatures } from '../../../../dom0-side/documents/guest-features';
import { computeSnapshot, type NetworkSnapshot } from '../../../../dom0-side/documents/network-snapshot';
import { planChanges } from '../../../../dom0-side/documents/plan-changes';
import { applyInventoryChange } from '../../../../dom0-side/inventory/embedded-backend';
import { Inventory } from '../../../../dom0-side/inventory/inventory';
import type { Qube } from '../../../../dom0-side/inventory/qube';
import { defaultInstall } from '../qube-fixture';
import { validateOnWire } from './documents-helpers';

type Features = Record<string, string>;

/** The default install with features on some qubes. */
function snapshotWith(features: Record<string, Features>): NetworkSnapshot {
  const qubes: Qube[] = defaultInstall().map((q) => ({ ...q, features: { ...q.features, ...features[q.name] } }));
  return computeSnapshot(Inventory.of(qubes), 0);
}

const netConfig = (snap: NetworkSnapshot, qube: string) => {
  const doc = snap.documents.get(documentKey(qube, NET_CONFIG));
  assert.ok(doc);
  validateOnWire(doc);
  return doc.body as Extract<typeof doc, { service: typeof NET_CONFIG }>['body'];
};

describe('dom0-side/documents guest features', () => {
  it('reads services as qubes/ext/services.py does: any non-empty value is on, "" is off', () => {
    const g = guestFeatures({
      'service.disable-default-route': '1',
      'service.disable-dns-server': '0',
      'service.network-manager': '',
    });
    assert.equal(g.disableDefaultRoute, true);
    assert.equal(g.disableDnsServer, true);
    assert.equal(g.networkManager, false);
  });

  it('puts the services and the MTU in the uplink, only when set (old documents stay equal)', () => {
    const plain = netConfig(snapshotWith({}), 'work');
    assert.deepEqual(Object.keys(plain.uplink ?? {}).sort(), ['dns', 'gateway', 'ip', 'mac', 'netmask']);
    const snap = snapshotWith({
      work: {
        'service.disable-default-route': '1',
        'service.disable-dns-server': '1',
        'service.network-manager': '1',
        'vm-config.net-mtu': '1400',
      },
    });
    assert.deepEqual(netConfig(snap, 'work').uplink, {
      mac: '00:16:3e:5e:6c:00',
      ip: '10.137.0.10',
      netmask: '255.255.255.255',
      gateway: '10.137.0.3',
      dns: ['10.139.1.1', '10.139.1.2'],
      mtu: 1400,
      disableDefaultRoute: true,
      disableDnsServer: true,
      networkManager: true,
    });
  });

  it('net.fake-*: the qube is told the visible values, its provider both, and the real address never reaches the qube', () => {
    const snap = snapshotWith({
      work: { 'net.fake-ip': '10.152.152.11', 'net.fake-gateway': '10.152.152.10', 'net.fake-netmask': '24' },
    });
    const uplink = netConfig(snap, 'work').uplink;
    assert.deepEqual(
      { ip: uplink?.ip, gateway: uplink?.gateway, netmask: uplink?.netmask },
      { ip: '10.152.152.11', gateway: '10.152.152.10', netmask: '255.255.255.0' },
    );
    assert.ok(!JSON.stringify(netConfig(snap, 'work')).includes('10.137.0.10'), 'the real address stays with dom0');
    const clients = netConfig(snap, 'sys-firewall').provider?.clients;
    assert.deepEqual(
      clients?.find((c) => c.name === 'work'),
      { name: 'work', ip: '10.137.0.10', vif: 'vif10.0', visibleIp: '10.152.152.11', visibleGateway: '10.152.152.10' },
    );
    assert.deepEqual(
      clients?.find((c) => c.name === 'personal'),
      { name: 'personal', ip: '10.137.0.11', vif: 'vif11.0' },
    );
  });

  it('a fake gateway alone changes only what the qube is told: vif-route-qubes translates nothing', () => {
    const snap = snapshotWith({ work: { 'net.fake-gateway': '192.168.0.1' } });
    assert.equal(netConfig(snap, 'work').uplink?.gateway, '192.168.0.1');
    const work = netConfig(snap, 'sys-firewall').provider?.clients.find((c) => c.name === 'work');
    assert.deepEqual(work, { name: 'work', ip: '10.137.0.10', vif: 'vif10.0' });
  });

  it("a provider's fake IP is its clients' gateway and its vifs' address (Qubes's netvm.gateway)", () => {
    const snap = snapshotWith({ 'sys-firewall': { 'net.fake-ip': '10.152.152.1' } });
    assert.equal(netConfig(snap, 'sys-firewall').provider?.ip, '10.152.152.1');
    assert.equal(netConfig(snap, 'work').uplink?.gateway, '10.152.152.1');
    // sys-net translates for sys-firewall, whose own gateway stays sys-net's address.
    const row = netConfig(snap, 'sys-net').provider?.clients[0];
    assert.deepEqual(row, {
      name: 'sys-firewall',
      ip: '10.137.0.3',
      vif: 'vif3.0',
      visibleIp: '10.152.152.1',
      visibleGateway: '10.137.0.2',
    });
  });

  it('values qubesd would refuse are named, and count as unset in the documents', () => {
    assert.equal(guestFeatureError('net.fake-ip', 'tor.example'), 'expected an IPv4 address');
    assert.equal(
      guestFeatureError('net.fake-netmask', '25'),
      'expected a netmask such as 255.255.255.0 or a prefix length 0-24',
    );
    assert.equal(guestFeatureError('net.fake-netmask', '255.0.255.0') !== undefined, true);
    assert.equal(guestFeatureError('vm-config.net-mtu', '100'), 'expected an MTU 576-65535');
    assert.equal(guestFeatureError('net.fake-netmask', '255.255.0.0'), undefined);
    const snap = snapshotWith({
      work: { 'net.fake-ip': 'tor.example', 'net.fake-netmask': '25', 'vm-config.net-mtu': '70000' },
    });
    assert.deepEqual(netConfig(snap, 'work').uplink, netConfig(snapshotWith({}), 'work').uplink);
  });

  it('a feature change re-plans the qube and its provider (the qube record compares its guest features)', () => {
    const before = snapshotWith({});
    const inv = before.inventory;
    const work = inv.get('work')!;
    const next = inv.with({ ...work, features: { 'net.fake-ip': '10.152.152.11' } });
    const res = planChanges(before, next, 0);
    const changed = res.changes.map((c) => `${c.qube} ${c.service}`).sort();
    assert.deepEqual(changed, ['sys-firewall qubes.NetConfig', 'work qubes.NetConfig']);
    assert.deepEqual(
      diffDocumentSets(before.documents, res.snapshot.documents)
        .map((c) => c.qube)
        .sort(),
      ['sys-firewall', 'work'],
    );
    const mtu = planChanges(before, inv.with({ ...work, features: { 'vm-config.net-mtu': '1400' } }), 0);
    assert.deepEqual(
      mtu.changes.map((c) => `${c.qube} ${c.service}`),
      ['work qubes.NetConfig'],
    );
  });
});

describe('dom0-side/inventory set-feature refuses what qubesd refuses', () => {
  it('refuses a net.fake-ip that is no address and an MTU out of range; deleting always works', () => {
    const inv = Inventory.of(defaultInstall());
    const set = (feature: string, value: string | null) =>
      applyInventoryChange(inv, { kind: 'set-feature', name: 'work', feature, value });
    assert.throws(() => set('net.fake-ip', '10.152.152'), {
      code: 'BAD_REQUEST',
      message: 'feature "net.fake-ip": expected an IPv4 address',
    });
    assert.throws(() => set('vm-config.net-mtu', '9'), { code: 'BAD_REQUEST' });
    assert.equal(set('net.fake-ip', '10.152.152.11').get('work')?.features['net.fake-ip'], '10.152.152.11');
    assert.equal(set('net.fake-netmask', '16').get('work')?.features['net.fake-netmask'], '16');
    assert.equal(set('net.fake-ip', null).get('work')?.features['net.fake-ip'], undefined);
  });
});

import { NETWORK_PROPERTIES, type QubeInfo } from '../../../../services/admin/admin-schemas';
import assert from 'node:assert/strict';
import { silentLogger } from '../../../../shared/logging/logger';
import { EventLog } from '../../../../dom0-side/admin/event-log';
import { QnetAdmin } from '../../../../dom0-side/admin/qnet-admin';
import { toQubeInfo } from '../../../../dom0-side/admin/qube-view';
import { computeSnapshot } from '../../../../dom0-side/documents/network-snapshot';
import { applyInventoryChange } from '../../../../dom0-side/inventory/embedded-backend';
import { Inventory } from '../../../../dom0-side/inventory/inventory';
import type {
  InventoryBackend,
  InventoryBackendEvent,
  InventoryChange,
} from '../../../../dom0-side/inventory/inventory-backend';
import { defaultInstall } from '../qube-fixture';
import { fakeAgents, reconcilerWith, sent } from '../reconciler/fake-agents';

/** A backend whose inventory also changes behind qnetd's back, as qubesd's does. */
function fakeBackend(initial: Inventory) {
  let current = initial;
  const listeners = new Set<(e: InventoryBackendEvent) => void>();
  const backend: InventoryBackend = {
    load: async () => current,
    apply: async (change: InventoryChange) => (current = applyInventoryChange(current, change)),
    watch: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    dispose: async () => {},
  };
  const outside = (next: Inventory, reason: string) => {
    current = next;
    for (const l of listeners) l({ reason });
  };
  return { backend, outside };
}

describe('dom0-side/admin QnetAdmin', () => {
  it('reconciles a change made outside qnetd (a qubesd event) like its own', async () => {
    const agents = fakeAgents();
    const { reconciler } = reconcilerWith(agents.transport, { concurrency: 4 });
    const inv = Inventory.of(defaultInstall());
    const { backend, outside } = fakeBackend(inv);
    const admin = new QnetAdmin(backend, reconciler, silentLogger, new EventLog());
    const { pushes } = await admin.start();
    assert.equal(pushes.length, 7);
    await reconciler.idle();
    agents.pushes.splice(0);
    outside(inv.with({ ...inv.get('sys-net')!, features: { ipv6: '1' } }), 'domain-feature-set:ipv6 sys-net');
    for (let i = 0; i < 100 && agents.pushes.length < 6; i++) await new Promise((r) => setTimeout(r, 5));
    await reconciler.idle();
    assert.deepEqual(sent(agents.pushes).sort(), [
      'personal qubes.NetConfig',
      'sys-firewall qubes.FirewallSync',
      'sys-firewall qubes.NetConfig',
      'sys-net qubes.FirewallSync',
      'sys-net qubes.NetConfig',
      'work qubes.NetConfig',
    ]);
    await admin.dispose();
  });

  it('creates with the lowest free ids and checks features up the netvm chain', async () => {
    const { reconciler } = reconcilerWith(fakeAgents().transport);
    const { backend } = fakeBackend(Inventory.of(defaultInstall()));
    const admin = new QnetAdmin(backend, reconciler, silentLogger, new EventLog());
    await admin.start();
    await admin.create({ name: 'disp1', klass: 'DispVM', netvm: 'sys-firewall' });
    const info = admin.get('disp1');
    assert.deepEqual([info.qid, info.dispid, info.ip, info.power], [1, 1, '10.138.0.1', 'halted']);
    await assert.rejects(admin.create({ name: 'x', dispid: 3 }), /only a DispVM has a dispid/);
    await admin.change({ kind: 'set-feature', name: 'sys-net', feature: 'ipv6', value: '1' });
    assert.equal(admin.checkWithNetvm('disp1', 'ipv6'), '1');
    assert.equal(admin.checkWithNetvm('disp1', 'other'), null);
    assert.throws(() => admin.get('ghost'), /no such qube "ghost"/);
    await assert.rejects(admin.setFirewall('work', ['action=accept', 'action=nope']), /rule 1: /);
  });
});

describe('dom0-side/admin toQubeInfo', () => {
  const pick = (info: QubeInfo, keys: readonly (keyof QubeInfo)[]) => Object.fromEntries(keys.map((k) => [k, info[k]]));

  it("names and computes the network properties as qubesd does: gateway is what a provider offers, visible_gateway the qube's own", () => {
    const inv = Inventory.of(
      defaultInstall().map((q) => (q.name === 'sys-net' ? { ...q, features: { ipv6: '1' } } : q)),
    );
    const snap = computeSnapshot(inv.with({ ...inv.get('personal')!, netvm: null }), 0);
    const info = (name: string) => toQubeInfo(snap, snap.inventory.get(name)!, []);
    assert.deepEqual(pick(info('work'), NETWORK_PROPERTIES), {
      dns: ['10.139.1.1', '10.139.1.2'],
      gateway: null,
      gateway6: null,
      ip: '10.137.0.10',
      ip6: 'fd09:24ef:4179::a89:a',
      mac: '00:16:3e:5e:6c:00',
      netvm: 'sys-firewall',
      provides_network: false,
      visible_gateway: '10.137.0.3',
      visible_gateway6: 'fd09:24ef:4179::a89:3',
      visible_ip: '10.137.0.10',
      visible_ip6: 'fd09:24ef:4179::a89:a',
      visible_netmask: '255.255.255.255',
    });
    // A provider offers its own address; the root one has no gateway of its own but still gets DNS.
    assert.deepEqual(pick(info('sys-firewall'), ['gateway', 'gateway6', 'visible_gateway', 'dns']), {
      gateway: '10.137.0.3',
      gateway6: 'fd09:24ef:4179::a89:3',
      visible_gateway: '10.137.0.2',
      dns: ['10.139.1.1', '10.139.1.2'],
    });
    assert.deepEqual(pick(info('sys-net'), ['gateway', 'visible_gateway', 'visible_netmask', 'dns', 'ipv6']), {
      gateway: '10.137.0.2',
      visible_gateway: null,
      visible_netmask: null,
      dns: ['10.139.1.1', '10.139.1.2'],
      ipv6: true,
    });
    // Not networked: no address, gateway or DNS, but a mac like every qube.
    assert.deepEqual(pick(info('personal'), ['ip', 'ip6', 'visible_gateway', 'dns', 'mac']), {
      ip: null,
      ip6: null,
      visible_gateway: null,
      dns: null,
      mac: '00:16:3e:5e:6c:00',
    });
  });

  it('follows the net.fake-* features and lists what holds its default (qvm-prefs D)', () => {
    const base = Inventory.of(defaultInstall());
    const inv = base.with({
      ...base.get('work')!,
      ip: '10.137.0.99',
      netvmIsDefault: false,
      features: {
        'net.fake-ip': '192.168.1.5',
        'net.fake-gateway': '192.168.1.1',
        'net.fake-netmask': '255.255.255.0',
      },
    });
    const work = toQubeInfo(computeSnapshot(inv, 0), inv.get('work')!, []);
    assert.deepEqual(pick(work, ['ip', 'visible_ip', 'visible_gateway', 'visible_netmask']), {
      ip: '10.137.0.99',
      visible_ip: '192.168.1.5',
      visible_gateway: '192.168.1.1',
      visible_netmask: '255.255.255.0',
    });
    assert.ok(!work.defaults.includes('ip') && !work.defaults.includes('netvm'));
    assert.ok(work.defaults.includes('mac') && work.defaults.includes('visible_gateway'));
  });
});

describe('dom0-side/admin EventLog', () => {
  it('numbers events, returns those after a cursor, and long-polls for the next one', async () => {
    const log = new EventLog(2);
    const event = (qube: string) => ({
      type: 'push-done' as const,
      qube,
      service: 'qubes.NetConfig' as const,
      generation: 1,
      at: 0,
      attempts: 1,
    });
    log.append(event('a'));
    log.append(event('b'));
    log.append(event('c'));
    assert.deepEqual(
      (await log.after(-1, 0)).events.map((e) => [e.seq, e.qube]),
      [
        [1, 'b'],
        [2, 'c'],
      ],
    );
    const waiting = log.after(2, 5000);
    setTimeout(() => log.append(event('d')), 10);
    const { events, last } = await waiting;
    assert.deepEqual([events.map((e) => e.qube), last], [['d'], 3]);
    assert.deepEqual((await log.after(3, 10)).events, []);
  });
});

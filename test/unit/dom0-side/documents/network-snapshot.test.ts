import assert from 'node:assert/strict';
import { DnsUpdate } from '../../../../services/dns-update';
import { FirewallSync } from '../../../../services/firewall-sync';
import { NetConfig } from '../../../../services/net-config';
import { canonicalJson } from '../../../../dom0-side/documents/canonical-json';
import {
  DNS_UPDATE,
  documentKey,
  FIREWALL_SYNC,
  NET_CONFIG,
  type DocumentService,
} from '../../../../dom0-side/documents/document-types';
import { computeSnapshot, type NetworkSnapshot } from '../../../../dom0-side/documents/network-snapshot';
import { parseApiRule } from '../../../../dom0-side/firewall/parse-api-rule';
import { Inventory } from '../../../../dom0-side/inventory/inventory';
import { defaultInstall, qube } from '../qube-fixture';
import { validateOnWire } from './documents-helpers';

const body = (snap: NetworkSnapshot, qube: string, service: DocumentService) =>
  snap.documents.get(documentKey(qube, service))?.body;

const UPLINK_BASE = { mac: '00:16:3e:5e:6c:00', netmask: '255.255.255.255', dns: ['10.139.1.1', '10.139.1.2'] };

describe('dom0-side/documents computeSnapshot', () => {
  it('uses the service names of the definitions', () => {
    assert.deepEqual([NET_CONFIG, DNS_UPDATE, FIREWALL_SYNC], [NetConfig.name, DnsUpdate.name, FirewallSync.name]);
  });

  it('computes the documents of a default install', () => {
    const snap = computeSnapshot(Inventory.of(defaultInstall()), 0);
    assert.deepEqual(body(snap, 'sys-net', NET_CONFIG), {
      qube: 'sys-net',
      provider: {
        ip: '10.137.0.2',
        ipv6: false,
        clients: [{ name: 'sys-firewall', ip: '10.137.0.3', vif: 'vif3.0' }],
      },
    });
    assert.deepEqual(body(snap, 'sys-firewall', NET_CONFIG), {
      qube: 'sys-firewall',
      uplink: { ...UPLINK_BASE, ip: '10.137.0.3', gateway: '10.137.0.2' },
      provider: {
        ip: '10.137.0.3',
        ipv6: false,
        clients: [
          { name: 'personal', ip: '10.137.0.11', vif: 'vif11.0' },
          { name: 'work', ip: '10.137.0.10', vif: 'vif10.0' },
        ],
      },
    });
    assert.deepEqual(body(snap, 'work', NET_CONFIG), {
      qube: 'work',
      uplink: { ...UPLINK_BASE, ip: '10.137.0.10', gateway: '10.137.0.3' },
    });
    assert.deepEqual(body(snap, 'sys-firewall', DNS_UPDATE), { upstream: ['10.139.1.1', '10.139.1.2'] });
    assert.equal(body(snap, 'sys-net', DNS_UPDATE), undefined, 'a root provider learns its upstream itself');
    assert.equal(body(snap, 'work', FIREWALL_SYNC), undefined);
    assert.deepEqual(body(snap, 'sys-firewall', FIREWALL_SYNC), {
      clients: [
        { name: 'personal', ip: '10.137.0.11', dns: ['10.139.1.1', '10.139.1.2'], rules: [{ action: 'accept' }] },
        { name: 'work', ip: '10.137.0.10', dns: ['10.139.1.1', '10.139.1.2'], rules: [{ action: 'accept' }] },
      ],
    });
    assert.equal(snap.documents.size, 4 + 2 + 1);
    for (const doc of snap.documents.values()) validateOnWire(doc);
  });

  it('gives a qube without netvm and not providing network a bare document', () => {
    const snap = computeSnapshot(Inventory.of([qube('vault', 7)]), 0);
    assert.deepEqual(body(snap, 'vault', NET_CONFIG), { qube: 'vault' });
  });

  it('addresses disposables by dispid and names vifs by qid', () => {
    const inv = Inventory.of([
      ...defaultInstall(),
      qube('disp300', 300, { klass: 'DispVM', dispid: 300, netvm: 'sys-firewall' }),
    ]);
    const snap = computeSnapshot(inv, 0);
    const nc = body(snap, 'disp300', NET_CONFIG) as { uplink: { ip: string } };
    assert.equal(nc.uplink.ip, '10.138.1.46');
    const fw = body(snap, 'sys-firewall', NET_CONFIG) as { provider: { clients: { name: string; vif: string }[] } };
    assert.deepEqual(
      fw.provider.clients.find((c) => c.name === 'disp300'),
      { name: 'disp300', ip: '10.138.1.46', vif: 'vif300.0' },
    );
  });

  it('lists only running clients, while halted qubes keep their own documents', () => {
    const inv = Inventory.of(defaultInstall().map((q) => (q.name === 'work' ? { ...q, power: 'halted' as const } : q)));
    const snap = computeSnapshot(inv, 0);
    const fwNet = body(snap, 'sys-firewall', NET_CONFIG) as { provider: { clients: { name: string }[] } };
    assert.deepEqual(
      fwNet.provider.clients.map((c) => c.name),
      ['personal'],
    );
    const fwSync = body(snap, 'sys-firewall', FIREWALL_SYNC) as { clients: { name: string }[] };
    assert.deepEqual(
      fwSync.clients.map((c) => c.name),
      ['personal'],
    );
    assert.ok(body(snap, 'work', NET_CONFIG), 'a halted qube still has its NetConfig for its boot-time pull');
  });

  it('carries IPv6 by the walk: ip6 where on, gateway6 only when on for the netvm', () => {
    const qubes = defaultInstall().map((q) => {
      if (q.name === 'sys-net') return { ...q, features: { ipv6: '1' } };
      if (q.name === 'sys-firewall') return { ...q, features: { ipv6: '' } };
      if (q.name === 'personal') return { ...q, features: { ipv6: '1' } };
      return q;
    });
    const snap = computeSnapshot(Inventory.of(qubes), 0);
    assert.deepEqual(body(snap, 'sys-net', NET_CONFIG), {
      qube: 'sys-net',
      provider: {
        ip: '10.137.0.2',
        ip6: 'fd09:24ef:4179::a89:2',
        ipv6: true,
        clients: [{ name: 'sys-firewall', ip: '10.137.0.3', vif: 'vif3.0' }],
      },
    });
    const sysFw = body(snap, 'sys-firewall', NET_CONFIG) as { uplink: object; provider: { ipv6: boolean } };
    assert.deepEqual(sysFw.uplink, {
      ...UPLINK_BASE,
      ip: '10.137.0.3',
      gateway: '10.137.0.2',
      gateway6: 'fd09:24ef:4179::a89:2',
    });
    assert.equal(sysFw.provider.ipv6, false);
    assert.deepEqual(body(snap, 'personal', NET_CONFIG), {
      qube: 'personal',
      uplink: { ...UPLINK_BASE, ip: '10.137.0.11', gateway: '10.137.0.3', ip6: 'fd09:24ef:4179::a89:b' },
    });
    assert.deepEqual(body(snap, 'work', NET_CONFIG), {
      qube: 'work',
      uplink: { ...UPLINK_BASE, ip: '10.137.0.10', gateway: '10.137.0.3' },
    });
    for (const doc of snap.documents.values()) validateOnWire(doc);
  });

  it('puts live rules in wire form in the provider firewall and drops expired ones', () => {
    const rules = [
      parseApiRule('action=accept proto=tcp dsthost=example.org dstports=443'),
      parseApiRule('action=accept dst6=2001:db8::/32 expire=1000'),
      parseApiRule('action=drop'),
    ];
    const inv = Inventory.of(defaultInstall().map((q) => (q.name === 'work' ? { ...q, firewall: rules } : q)));
    const before = computeSnapshot(inv, 999_000);
    const workRules = (b: unknown) =>
      (b as { clients: { name: string; rules: unknown[] }[] }).clients.find((c) => c.name === 'work')!.rules;
    assert.deepEqual(workRules(body(before, 'sys-firewall', FIREWALL_SYNC)), [
      { action: 'accept', proto: 'tcp', dsthost: 'example.org', dstports: { from: 443, to: 443 } },
      { action: 'accept', dst6: '2001:db8::/32', expire: 1000 },
      { action: 'drop' },
    ]);
    const after = computeSnapshot(inv, 1_000_001);
    assert.equal(workRules(body(after, 'sys-firewall', FIREWALL_SYNC)).length, 2);
  });

  it('distinguishes no firewall (accept all) from an empty one (drop all)', () => {
    const inv = Inventory.of(defaultInstall().map((q) => (q.name === 'work' ? { ...q, firewall: [] } : q)));
    const fw = body(computeSnapshot(inv, 0), 'sys-firewall', FIREWALL_SYNC) as {
      clients: { name: string; rules: unknown[] }[];
    };
    assert.deepEqual(
      fw.clients.map((c) => [c.name, c.rules]),
      [
        ['personal', [{ action: 'accept' }]],
        ['work', []],
      ],
    );
  });

  it('is deterministic whatever order the qubes are given in', () => {
    const a = computeSnapshot(Inventory.of(defaultInstall()), 0);
    const b = computeSnapshot(Inventory.of([...defaultInstall()].reverse()), 0);
    assert.deepEqual([...a.documents.keys()].sort(), [...b.documents.keys()].sort());
    for (const [key, doc] of a.documents) assert.equal(b.documents.get(key)?.canonical, doc.canonical);
  });
});

describe('dom0-side/documents canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [2, { y: 1, x: 2 }], c: undefined } }),
      '{"a":{"d":[2,{"x":2,"y":1}]},"b":1}',
    );
    assert.equal(canonicalJson({ x: 1, y: 2 }), canonicalJson({ y: 2, x: 1 }));
    assert.notEqual(canonicalJson([1, 2]), canonicalJson([2, 1]));
    assert.throws(() => canonicalJson({ a: NaN }), TypeError);
  });
});

describe('dom0-side/documents computeSnapshot with a rule the wire cannot carry', () => {
  const clientTable = (snap: NetworkSnapshot) =>
    (body(snap, 'sys-firewall', FIREWALL_SYNC) as { clients: { name: string; rules: unknown[] }[] }).clients;
  const install = (workRules: string[]) =>
    Inventory.of(
      defaultInstall().map((q) =>
        q.name === 'work'
          ? { ...q, power: 'running' as const, firewall: workRules.map((l) => parseApiRule(l)) }
          : q.name === 'personal'
            ? { ...q, power: 'running' as const, firewall: [parseApiRule('action=accept proto=tcp dstports=22')] }
            : q,
      ),
    );

  it("drops all of that qube's traffic, reports why, and leaves the other clients alone", () => {
    const snap = computeSnapshot(install(['action=accept proto=tcp dstports=443', 'action=drop dsthost=443']), 0);
    const table = new Map(clientTable(snap).map((c) => [c.name, c.rules]));
    assert.deepEqual(table.get('work'), [{ action: 'drop' }]);
    assert.deepEqual(table.get('personal'), [{ action: 'accept', proto: 'tcp', dstports: { from: 22, to: 22 } }]);
    assert.match(snap.network.get('work')!.firewallError!, /^rule 1: rule "action=drop dsthost=443" cannot be sent/);
    assert.equal(snap.network.get('personal')!.firewallError, undefined);
    for (const doc of snap.documents.values()) validateOnWire(doc);
  });

  it('ignores such a rule once it has expired', () => {
    const rules = ['action=accept proto=tcp dstports=443', 'action=accept dsthost=a..b expire=1000'];
    const live = computeSnapshot(install(rules), 999_000);
    assert.ok(live.network.get('work')!.firewallError);
    const later = computeSnapshot(install(rules), 1_000_001);
    assert.equal(later.network.get('work')!.firewallError, undefined);
    assert.deepEqual(new Map(clientTable(later).map((c) => [c.name, c.rules])).get('work'), [
      { action: 'accept', proto: 'tcp', dstports: { from: 443, to: 443 } },
    ]);
  });
});

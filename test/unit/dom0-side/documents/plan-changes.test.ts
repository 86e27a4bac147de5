import assert from 'node:assert/strict';
import { diffDocumentSets, type DocumentChange } from '../../../../dom0-side/documents/document-changes';
import { documentKey, FIREWALL_SYNC, NET_CONFIG } from '../../../../dom0-side/documents/document-types';
import { computeSnapshot } from '../../../../dom0-side/documents/network-snapshot';
import { nextRuleExpiry } from '../../../../dom0-side/documents/next-rule-expiry';
import { planChanges, planChangesBetween } from '../../../../dom0-side/documents/plan-changes';
import { parseApiRule } from '../../../../dom0-side/firewall/parse-api-rule';
import { Inventory } from '../../../../dom0-side/inventory/inventory';
import type { Qube } from '../../../../dom0-side/inventory/qube';
import { defaultInstall, qube } from '../qube-fixture';

const SHORT = { 'qubes.NetConfig': 'net', 'qubes.DnsUpdate': 'dns', 'qubes.FirewallSync': 'fw' } as const;
const describeChanges = (changes: readonly DocumentChange[]) =>
  changes.map((c) => `${c.kind} ${c.qube}/${SHORT[c.service]}`);

/** Two providers side by side under sys-net, so a client can move between them. */
function twoProviders(): Qube[] {
  return [
    ...defaultInstall(),
    qube('sys-vpn', 4, { providesNetwork: true, netvm: 'sys-net' }),
    qube('anon', 12, { netvm: 'sys-vpn' }),
  ];
}

function plan(before: Qube[], change: (inv: Inventory) => Inventory, now = 0, later = now) {
  const inv = Inventory.of(before);
  const snap = computeSnapshot(inv, now);
  const next = change(inv);
  const result = planChanges(snap, next, later);
  // The incremental plan must equal a diff of everything, and its snapshot a fresh computation.
  const fresh = computeSnapshot(next, later);
  assert.deepEqual(describeChanges(result.changes), describeChanges(diffDocumentSets(snap.documents, fresh.documents)));
  assert.deepEqual(
    [...result.snapshot.documents].map(([k, d]) => [k, d.canonical]).sort(),
    [...fresh.documents].map(([k, d]) => [k, d.canonical]).sort(),
  );
  return result;
}

describe('dom0-side/documents planChanges', () => {
  it('finds nothing when nothing changed', () => {
    const res = plan(twoProviders(), (inv) => inv.with(inv.get('work')!));
    assert.deepEqual(res.changes, []);
    assert.deepEqual(res.push, []);
  });

  it('moves a qube between providers: both providers and the qube change, nothing stale remains', () => {
    const res = plan(twoProviders(), (inv) => inv.with({ ...inv.get('work')!, netvm: 'sys-vpn' }));
    assert.deepEqual(describeChanges(res.changes), [
      'changed sys-firewall/net',
      'changed sys-firewall/fw',
      'changed sys-vpn/net',
      'changed sys-vpn/fw',
      'changed work/net',
    ]);
    assert.deepEqual(res.changedQubes, ['sys-firewall', 'sys-vpn', 'work']);
    const clientsOf = (name: string, service: typeof NET_CONFIG | typeof FIREWALL_SYNC) => {
      const b = res.snapshot.documents.get(documentKey(name, service))!.body as {
        provider?: { clients: { name: string }[] };
        clients?: { name: string }[];
      };
      return (b.provider?.clients ?? b.clients ?? []).map((c) => c.name);
    };
    assert.deepEqual(clientsOf('sys-firewall', NET_CONFIG), ['personal']);
    assert.deepEqual(clientsOf('sys-firewall', FIREWALL_SYNC), ['personal']);
    assert.deepEqual(clientsOf('sys-vpn', NET_CONFIG), ['anon', 'work']);
    assert.deepEqual(clientsOf('sys-vpn', FIREWALL_SYNC), ['anon', 'work']);
    const work = res.snapshot.documents.get(documentKey('work', NET_CONFIG))!.body as { uplink: { gateway: string } };
    assert.equal(work.uplink.gateway, '10.137.0.4');
  });

  it('pushes a provider before its clients', () => {
    const res = plan(twoProviders(), (inv) => inv.with({ ...inv.get('work')!, netvm: 'sys-vpn' }));
    assert.deepEqual(describeChanges(res.push), [
      'changed sys-firewall/net',
      'changed sys-firewall/fw',
      'changed sys-vpn/net',
      'changed sys-vpn/fw',
      'changed work/net',
    ]);
    const ipv6 = plan(twoProviders(), (inv) => inv.with({ ...inv.get('sys-net')!, features: { ipv6: '1' } }));
    const order = describeChanges(ipv6.push);
    assert.equal(order[0], 'changed sys-net/net');
    assert.ok(order.indexOf('changed sys-firewall/net') < order.indexOf('changed work/net'));
    assert.ok(order.indexOf('changed sys-vpn/net') < order.indexOf('changed anon/net'));
  });

  it('turning IPv6 on at the root reaches every qube below', () => {
    const res = plan(twoProviders(), (inv) => inv.with({ ...inv.get('sys-net')!, features: { ipv6: '1' } }));
    assert.deepEqual(describeChanges(res.changes), [
      'changed anon/net',
      'changed personal/net',
      'changed sys-firewall/net',
      'changed sys-firewall/fw',
      'changed sys-net/net',
      'changed sys-net/fw',
      'changed sys-vpn/net',
      'changed sys-vpn/fw',
      'changed work/net',
    ]);
  });

  it('works from two inventories too', () => {
    const inv = Inventory.of(twoProviders());
    const res = planChangesBetween(inv, inv.with({ ...inv.get('anon')!, power: 'halted' }), 0);
    assert.deepEqual(describeChanges(res.changes), ['changed sys-vpn/net', 'changed sys-vpn/fw']);
    assert.deepEqual(res.changedQubes, ['sys-vpn']);
  });

  it('a rule change touches only the provider firewall', () => {
    const res = plan(twoProviders(), (inv) =>
      inv.with({
        ...inv.get('work')!,
        firewall: [parseApiRule('action=accept proto=tcp dstports=443'), parseApiRule('action=drop')],
      }),
    );
    assert.deepEqual(describeChanges(res.changes), ['changed sys-firewall/fw']);
  });

  it('a start or stop changes the provider tables, not the qube', () => {
    const stop = plan(twoProviders(), (inv) => inv.with({ ...inv.get('work')!, power: 'halted' }));
    assert.deepEqual(describeChanges(stop.changes), ['changed sys-firewall/net', 'changed sys-firewall/fw']);
    const halted = twoProviders().map((q) => (q.name === 'work' ? { ...q, power: 'halted' as const } : q));
    const start = plan(halted, (inv) => inv.with({ ...inv.get('work')!, power: 'running', xid: 40 }));
    assert.deepEqual(describeChanges(start.changes), ['changed sys-firewall/net', 'changed sys-firewall/fw']);
  });

  it("a client's domain without an xid yet has no vif to name: listed once it has one", () => {
    const halted = twoProviders().map((q) => (q.name === 'work' ? { ...q, power: 'halted' as const } : q));
    const building = plan(halted, (inv) => inv.with({ ...inv.get('work')!, power: 'running' }));
    assert.deepEqual(describeChanges(building.changes), []);
  });

  it("a restart under a new xid changes only the provider's NetConfig (its vif name), so it is pushed again", () => {
    const restart = plan(twoProviders(), (inv) => inv.with({ ...inv.get('work')!, xid: 41 }));
    assert.deepEqual(describeChanges(restart.changes), ['changed sys-firewall/net']);
    const [first] = restart.changes;
    const body = (first.kind === 'removed' ? undefined : first.document.body) as {
      provider: { clients: { name: string; vif: string }[] };
    };
    assert.equal(body.provider.clients.find((c) => c.name === 'work')?.vif, 'vif41.0');
  });

  it('a qube that stops providing network loses its provider documents; adding and removing qubes', () => {
    const demote = plan(twoProviders(), (inv) =>
      inv.without('anon').with({ ...inv.get('sys-vpn')!, providesNetwork: false }),
    );
    assert.deepEqual(describeChanges(demote.changes), [
      'removed anon/net',
      'changed sys-vpn/net',
      'removed sys-vpn/fw',
      'removed sys-vpn/dns',
    ]);
    assert.deepEqual(describeChanges(demote.push), ['changed sys-vpn/net'], 'removals have nothing to push');
    const add = plan(twoProviders(), (inv) => inv.with(qube('new', 50, { netvm: 'sys-firewall', power: 'halted' })));
    assert.deepEqual(describeChanges(add.changes), ['added new/net']);
  });

  it('notices a rule that expired between two snapshots', () => {
    const rules = [parseApiRule('action=accept expire=1000'), parseApiRule('action=drop')];
    const base = twoProviders().map((q) => (q.name === 'work' ? { ...q, firewall: rules } : q));
    const res = plan(base, (inv) => inv, 999_000, 1_000_001);
    assert.deepEqual(describeChanges(res.changes), ['changed sys-firewall/fw']);
  });
});

describe('dom0-side/documents nextRuleExpiry', () => {
  it('names the first instant a live rule is gone, and nothing once all have expired', () => {
    const rules = [parseApiRule('action=accept expire=2000'), parseApiRule('action=accept expire=1000')];
    const inv = Inventory.of(twoProviders().map((q) => (q.name === 'anon' ? { ...q, firewall: rules } : q)));
    assert.equal(nextRuleExpiry(inv, 0), 1_000_001);
    assert.equal(nextRuleExpiry(inv, 1_000_000), 1_000_001);
    assert.equal(nextRuleExpiry(inv, 1_000_001), 2_000_001);
    assert.equal(nextRuleExpiry(inv, 2_000_001), undefined);
    // At that instant the document really changes, and not a millisecond before.
    const snap = computeSnapshot(inv, 1_000_000);
    assert.equal(planChanges(snap, inv, 1_000_000).changes.length, 0);
    assert.deepEqual(describeChanges(planChanges(snap, inv, 1_000_001).changes), ['changed sys-vpn/fw']);
  });
});

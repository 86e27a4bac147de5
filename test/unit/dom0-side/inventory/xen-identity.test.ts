import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeSnapshot } from '../../../../dom0-side/documents/network-snapshot';
import { documentKey, NET_CONFIG } from '../../../../dom0-side/documents/document-types';
import { applyInventoryChange, EmbeddedInventoryBackend } from '../../../../dom0-side/inventory/embedded-backend';
import { FileInventoryStore } from '../../../../dom0-side/inventory/file-inventory-store';
import { Inventory } from '../../../../dom0-side/inventory/inventory';
import { parseStoredText, toStoredText } from '../../../../dom0-side/inventory/inventory-codec';
import type { InventoryChange } from '../../../../dom0-side/inventory/inventory-backend';
import { DEFAULT_QUBE_MAC, MAX_XID } from '../../../../dom0-side/inventory/qube';
import { nextXid } from '../../../../dom0-side/inventory/xen-ids';
import { defaultInstall, qube } from '../qube-fixture';

/** sys-net → sys-firewall → work, all halted: what the embedded store holds before anything started. */
const halted = () =>
  Inventory.of(
    defaultInstall()
      .map((q) => ({ ...q, power: 'halted' as const }))
      .filter((q) => q.name !== 'personal'),
  );

const apply = (inv: Inventory, ...changes: InventoryChange[]) => changes.reduce(applyInventoryChange, inv);
const start = (name: string): InventoryChange => ({ kind: 'set-power', name, power: 'running' });
const stop = (name: string): InventoryChange => ({ kind: 'set-power', name, power: 'halted' });

function providerVifs(inv: Inventory, provider: string): Record<string, string> {
  const doc = computeSnapshot(inv, 0).documents.get(documentKey(provider, NET_CONFIG));
  const clients = (doc?.body as { provider?: { clients: { name: string; vif: string }[] } }).provider?.clients ?? [];
  return Object.fromEntries(clients.map((c) => [c.name, c.vif]));
}

function uplinkMac(inv: Inventory, qube: string): string | undefined {
  const doc = computeSnapshot(inv, 0).documents.get(documentKey(qube, NET_CONFIG));
  return (doc?.body as { uplink?: { mac: string } }).uplink?.mac;
}

describe('dom0-side/inventory Xen identity: xid and mac', () => {
  it('a start hands out the next Xen id, a stop takes it away, a restart gets a new one', () => {
    let inv = apply(halted(), start('sys-net'), start('sys-firewall'), start('work'));
    assert.deepEqual(
      ['sys-net', 'sys-firewall', 'work'].map((n) => inv.get(n)!.xid),
      [1, 2, 3],
    );
    inv = apply(inv, stop('work'));
    assert.equal(inv.get('work')!.xid, undefined);
    inv = apply(inv, start('work'));
    assert.equal(inv.get('work')!.xid, 4, 'not 3 again: Xen does not reuse an id right away');
    assert.equal(inv.lastXid, 4);
    const again = apply(inv, start('work'));
    assert.equal(again.get('work')!.xid, 4, 'starting a running qube changes nothing');
  });

  it("the provider names a client's vif after its xid, not its qid, and a restart renames it", () => {
    let inv = apply(halted(), start('sys-net'), start('sys-firewall'), start('work'));
    assert.equal(inv.get('work')!.qid, 10);
    assert.deepEqual(providerVifs(inv, 'sys-firewall'), { work: 'vif3.0' });
    assert.deepEqual(providerVifs(inv, 'sys-net'), { 'sys-firewall': 'vif2.0' });
    inv = apply(inv, stop('work'));
    assert.deepEqual(providerVifs(inv, 'sys-firewall'), {});
    inv = apply(inv, start('work'));
    assert.deepEqual(providerVifs(inv, 'sys-firewall'), { work: 'vif4.0' });
  });

  it('hands out ids past the reserved ones by wrapping, skipping ids still held', () => {
    const inv = Inventory.of([qube('a', 1, { xid: MAX_XID }), qube('b', 2, { xid: 1 })], { lastXid: MAX_XID });
    assert.equal(nextXid(inv), 2);
    assert.equal(nextXid(Inventory.of([qube('a', 1, { xid: 7 })], { lastXid: 3 })), 4);
    assert.equal(nextXid(Inventory.of([qube('a', 1, { xid: 4 })], { lastXid: 3 })), 5);
  });

  it('refuses an xid out of range or held twice; a halted record loses its stale xid', () => {
    assert.throws(() => Inventory.of([qube('a', 1, { xid: 0 })]), /xid must be an integer 1-32751/);
    assert.throws(() => Inventory.of([qube('a', 1, { xid: MAX_XID + 1 })]), /xid must be an integer/);
    assert.throws(() => Inventory.of([qube('a', 1, { xid: 5 }), qube('b', 2, { xid: 5 })]), /xid 5 is already used/);
    const inv = Inventory.of([qube('a', 1, { xid: 5, power: 'halted' })]);
    assert.equal(inv.get('a')!.xid, undefined);
  });

  it('keeps xids and the last id handed out in the state file, so a restart of qnetd does not reuse one', () => {
    let inv = apply(halted(), start('sys-net'), start('work'), stop('work'));
    const text = toStoredText(inv);
    assert.match(text, /"last_xid": 2/);
    assert.match(text, /"xid": 1/);
    inv = apply(parseStoredText(text), start('work'));
    assert.equal(inv.get('work')!.xid, 3);
  });

  it('gives running qubes of an older state file an xid at load, deterministically', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qnet-xid-'));
    try {
      const path = join(dir, 'inventory.json');
      const old = JSON.parse(toStoredText(Inventory.of(defaultInstall()))) as {
        last_xid?: number;
        qubes: Record<string, unknown>[];
      };
      delete old.last_xid;
      for (const q of old.qubes) delete q.xid;
      writeFileSync(path, JSON.stringify(old));
      assert.doesNotMatch(readFileSync(path, 'utf8'), /xid/);
      const load = () => new EmbeddedInventoryBackend(new FileInventoryStore({ path, maxBytes: 1 << 20 })).load();
      const first = await load();
      const xids = first.list().map((q) => [q.name, q.xid]);
      assert.deepEqual(xids, [
        ['personal', 1],
        ['sys-firewall', 2],
        ['sys-net', 3],
        ['work', 4],
      ]);
      assert.deepEqual(
        (await load()).list().map((q) => [q.name, q.xid]),
        xids,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("carries the qube's mac in its uplink: Qubes's default, or the one set on it", () => {
    let inv = apply(halted(), start('sys-net'), start('sys-firewall'));
    assert.equal(uplinkMac(inv, 'work'), DEFAULT_QUBE_MAC);
    inv = apply(inv, { kind: 'set-address', name: 'work', family: 'mac', value: '00:16:3e:12:34:56' });
    assert.equal(uplinkMac(inv, 'work'), '00:16:3e:12:34:56');
    assert.match(toStoredText(inv), /"mac": "00:16:3e:12:34:56"/);
    inv = apply(inv, { kind: 'reset-property', name: 'work', property: 'mac' });
    assert.equal(inv.get('work')!.mac, undefined);
    assert.equal(uplinkMac(inv, 'work'), DEFAULT_QUBE_MAC);
  });

  it('refuses a mac that is not one, and a mac change on a running qube (its NIC keeps the one it started with)', () => {
    const inv = apply(halted(), start('sys-net'), start('sys-firewall'), start('work'));
    assert.throws(
      () => apply(inv, { kind: 'set-address', name: 'sys-net', family: 'mac', value: '00:16:3E:12:34:56' }),
      /is not a lowercase MAC address/,
    );
    assert.throws(
      () => apply(inv, { kind: 'set-address', name: 'work', family: 'mac', value: '00:16:3e:12:34:56' }),
      (err: Error & { code?: string }) => /is running: its interface keeps the MAC/.test(err.message),
    );
    const set = apply(inv, stop('work'), {
      kind: 'set-address',
      name: 'work',
      family: 'mac',
      value: '00:16:3e:12:34:56',
    });
    assert.throws(
      () => apply(apply(set, start('work')), { kind: 'reset-property', name: 'work', property: 'mac' }),
      /running/,
    );
  });
});

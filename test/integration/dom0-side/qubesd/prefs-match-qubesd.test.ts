import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NETWORK_PROPERTIES, type QubeInfo } from '../../../../services/admin/admin-schemas';
import { toQubeInfo } from '../../../../dom0-side/admin/qube-view';
import { computeSnapshot } from '../../../../dom0-side/documents/network-snapshot';
import type { Inventory } from '../../../../dom0-side/inventory/inventory';
import type { FakeQubesd } from '../../../fixtures/fake-qubesd';
import { startHarness } from './qubesd-harness';

interface RecordedCall {
  method: string;
  dest: string;
  arg: string;
  payload: string;
  reply: { value?: string };
}

const RECORDED = JSON.parse(
  readFileSync(join(__dirname, '../../../../../test/fixtures/qubesd-recorded.json'), 'utf8'),
) as { calls: RecordedCall[] };

const QUBES = ['sys-net', 'sys-firewall', 'work', 'personal'];

/**
 * `admin.vm.property.Get` replies of the real qubesd, keyed `qube.property`,
 * from the recorded calls between two writes (the state qnet must show then).
 */
function realValues(from: (c: RecordedCall) => boolean, to: (c: RecordedCall) => boolean): Map<string, string> {
  const start = RECORDED.calls.findIndex(from);
  const end = RECORDED.calls.findIndex((c, i) => i > start && to(c));
  assert.ok(start >= 0 && end > start, 'recorded phase not found');
  const values = new Map<string, string>();
  for (const c of RECORDED.calls.slice(start, end)) {
    if (c.method === 'admin.vm.property.Get' && c.reply.value !== undefined)
      values.set(`${c.dest}.${c.arg}`, c.reply.value);
  }
  return values;
}

/** How qubesd prints a value in `default=… type=… VALUE`. */
function asQubesd(info: QubeInfo, property: (typeof NETWORK_PROPERTIES)[number]): string {
  const value = info[property];
  const type = property === 'netvm' ? 'vm' : property === 'provides_network' ? 'bool' : 'str';
  const text =
    value === null
      ? ''
      : Array.isArray(value)
        ? value.join(' ')
        : typeof value === 'boolean'
          ? value
            ? 'True'
            : 'False'
          : value;
  return `default=${info.defaults.includes(property) ? 'True' : 'False'} type=${type} ${text}`;
}

/** Compares qnet's view of every network property with the real qubesd's; returns the disagreements. */
function compare(inventory: Inventory, real: Map<string, string>, qubes: readonly string[]): string[] {
  const snapshot = computeSnapshot(inventory, 0);
  const wrong: string[] = [];
  for (const name of qubes) {
    const info = toQubeInfo(snapshot, inventory.get(name)!, []);
    for (const p of NETWORK_PROPERTIES) {
      const want = real.get(`${name}.${p}`);
      if (want !== undefined && asQubesd(info, p) !== want)
        wrong.push(`${name}.${p}: qnet "${asQubesd(info, p)}", qubesd "${want}"`);
    }
  }
  return wrong;
}

function seedOfflineSystem(fake: FakeQubesd): void {
  fake.defaultNetvm = 'sys-firewall';
  fake.addDomain({ name: 'debian-12', klass: 'TemplateVM', qid: 1, netvm: null }, false);
  fake.addDomain({ name: 'sys-net', qid: 2, netvm: null, providesNetwork: true }, false);
  fake.addDomain({ name: 'sys-firewall', qid: 3, netvm: 'sys-net', providesNetwork: true }, false);
  fake.addDomain({ name: 'work', qid: 4 }, false);
  fake.addDomain({ name: 'personal', qid: 5, netvm: 'sys-firewall' }, false);
}

describe('dom0-side prefs view against the recorded real qubesd', () => {
  it('shows all 13 network properties and their D/- as qubesd does, before and after ipv6, and after a reset', async () => {
    const h = await startHarness();
    try {
      seedOfflineSystem(h.fake);
      const isWrite = (method: string, dest: string, arg: string) => (c: RecordedCall) =>
        c.method === method && c.dest === dest && c.arg === arg;
      const before = realValues(
        (c) => c.method === 'admin.vm.List',
        isWrite('admin.vm.feature.Set', 'sys-net', 'ipv6'),
      );
      assert.equal(before.size, 5 * 16);
      assert.deepEqual(compare(await h.backend.load(), before, QUBES), []);

      const ipv6 = realValues(
        isWrite('admin.vm.feature.Set', 'sys-net', 'ipv6'),
        isWrite('admin.vm.property.Set', 'work', 'netvm'),
      );
      assert.deepEqual(
        compare(
          await h.backend.apply({ kind: 'set-feature', name: 'sys-net', feature: 'ipv6', value: '1' }),
          ipv6,
          QUBES,
        ),
        [],
      );

      await h.backend.apply({ kind: 'set-netvm', name: 'work', netvm: 'sys-net' });
      const reset = realValues(
        isWrite('admin.vm.property.Reset', 'work', 'netvm'),
        isWrite('admin.vm.property.Set', 'personal', 'netvm'),
      );
      const afterReset = await h.backend.apply({ kind: 'reset-property', name: 'work', property: 'netvm' });
      assert.equal(afterReset.get('work')!.netvm, 'sys-firewall');
      assert.deepEqual(compare(afterReset, reset, ['work']), []);
      assert.deepEqual(compare(await h.backend.load(), reset, ['work']), []);
      assert.deepEqual(
        h.fake.callsOf('admin.vm.property.Reset').map((c) => [c.dest, c.arg]),
        [['work', 'netvm']],
      );
    } finally {
      await h.dispose();
    }
  });
});

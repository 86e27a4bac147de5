import assert from 'node:assert/strict';
import { parseApiRule } from '../../../../dom0-side/firewall/parse-api-rule';
import { InvalidInventoryError } from '../../../../dom0-side/inventory/inventory-error';
import type { InventoryBackendEvent } from '../../../../dom0-side/inventory/inventory-backend';
import { QubesdError, UnsupportedChangeError } from '../../../../dom0-side/qubesd/qubesd-errors';
import { FakeQubesException } from '../../../fixtures/fake-qubesd';
import { waitFor } from '../../../helpers/processes';
import { seedDefaultInstall, startHarness } from './qubesd-harness';

const WRITE_METHODS = /\.(Set|Reset|Remove)$/;

describe('QubesdInventoryBackend against the fake qubesd', () => {
  let h: Awaited<ReturnType<typeof startHarness>>;
  beforeEach(async () => {
    h = await startHarness();
    seedDefaultInstall(h.fake);
  });
  afterEach(() => h.dispose());

  describe('load', () => {
    it('lists every qube but dom0, with class, power and netvm', async () => {
      const inv = await h.backend.load();
      assert.deepEqual(
        inv.list().map((q) => [q.name, q.klass, q.power, q.netvm, q.providesNetwork, q.qid]),
        [
          ['personal', 'AppVM', 'halted', 'sys-firewall', false, 11],
          ['sys-firewall', 'AppVM', 'running', 'sys-net', true, 3],
          ['sys-net', 'AppVM', 'running', null, true, 2],
          ['work', 'AppVM', 'running', 'sys-firewall', false, 10],
        ],
      );
      assert.equal(h.fake.callsOf('admin.vm.List').length, 1);
    });

    it('takes ip and ip6 as overrides only when set on the qube, not when default', async () => {
      h.fake.addDomain({ name: 'pinned', qid: 20, ip: '10.137.0.200', ip6: 'fd09:24ef:4179::a89:c8' }, false);
      const inv = await h.backend.load();
      assert.equal(inv.get('pinned')?.ip, '10.137.0.200');
      assert.equal(inv.get('pinned')?.ip6, 'fd09:24ef:4179::a89:c8');
      assert.ok(!('ip' in inv.get('work')!), 'a default ip is not an override');
      assert.ok(!('ip6' in inv.get('work')!));
    });

    it('reads features, tags, firewall rules and a DispVM dispid', async () => {
      h.fake.addDomain(
        {
          name: 'disp7',
          klass: 'DispVM',
          qid: 30,
          dispid: 7,
          features: { ipv6: '1', 'service.x': '' },
          tags: ['created-by-dom0', 'audio'],
          firewall: ['action=accept dsthost=example.com proto=tcp dstports=443-443', 'action=drop'],
        },
        false,
      );
      const q = (await h.backend.load()).get('disp7')!;
      assert.equal(q.klass, 'DispVM');
      assert.equal(q.dispid, 7);
      assert.deepEqual(q.features, { ipv6: '1', 'service.x': '' });
      assert.deepEqual(q.tags, ['audio', 'created-by-dom0']);
      assert.deepEqual(q.firewall, [
        parseApiRule('action=accept dsthost=example.com proto=tcp dstports=443-443'),
        parseApiRule('action=drop'),
      ]);
    });

    it('skips classes qnet does not model and a feature deleted mid-read', async () => {
      h.fake.addDomain({ name: 'remote', klass: 'RemoteVM', qid: 40 }, false);
      h.fake.domains.get('work')!.features.set('gone', 'x');
      h.fake.failNext(
        'admin.vm.feature.Get',
        new FakeQubesException('QubesFeatureNotFoundError', 'Feature not set for domain work: gone'),
      );
      const inv = await h.backend.load();
      assert.equal(inv.get('remote'), undefined);
      assert.deepEqual(inv.get('work')?.features, {});
    });

    it('fails with the typed error when qubesd refuses a read', async () => {
      h.fake.failNext('admin.vm.firewall.Get', 'abort');
      await assert.rejects(h.backend.load(), /closed the connection without a reply/);
    });

    it('reads 200 qubes with bounded concurrency', async () => {
      for (let i = 0; i < 200; i++) {
        h.fake.addDomain(
          { name: `q${i}`, qid: 100 + i, state: i % 2 ? 'Running' : 'Halted', features: { a: '1' } },
          false,
        );
      }
      const inv = await h.backend.load();
      assert.equal(inv.size, 204);
      assert.equal(inv.get('q199')?.power, 'running');
      assert.deepEqual(inv.get('q0')?.features, { a: '1' });
    });
  });

  describe('apply', () => {
    it('writes netvm through admin.vm.property.Set and reads back the same', async () => {
      const next = await h.backend.apply({ kind: 'set-netvm', name: 'work', netvm: 'sys-net' });
      assert.equal(next.get('work')?.netvm, 'sys-net');
      const writes = h.fake.calls.filter((c) => WRITE_METHODS.test(c.method));
      assert.deepEqual(
        writes.map((c) => [c.method, c.arg, c.dest, c.payload.toString()]),
        [['admin.vm.property.Set', 'netvm', 'work', 'sys-net']],
      );
      assert.equal((await h.backend.load()).get('work')?.netvm, 'sys-net');
    });

    it('round-trips features, firewall, provides_network and addresses', async () => {
      await h.backend.apply({ kind: 'set-feature', name: 'sys-net', feature: 'ipv6', value: '1' });
      await h.backend.apply({ kind: 'set-provides-network', name: 'work', value: true });
      await h.backend.apply({ kind: 'set-address', name: 'personal', family: 'ip', value: '10.137.0.77' });
      const rules = [
        parseApiRule('action=accept proto=udp dstports=53-53 specialtarget=dns'),
        parseApiRule('action=drop'),
      ];
      const last = await h.backend.apply({ kind: 'set-firewall', name: 'work', rules });
      const read = await h.backend.load();
      for (const inv of [last, read]) {
        assert.equal(inv.get('sys-net')?.features.ipv6, '1');
        assert.equal(inv.get('work')?.providesNetwork, true);
        assert.equal(inv.get('personal')?.ip, '10.137.0.77');
        assert.deepEqual(inv.get('work')?.firewall, rules);
      }
      assert.deepEqual(h.fake.domains.get('work')?.firewall, [
        'action=accept proto=udp specialtarget=dns dstports=53-53',
        'action=drop',
      ]);
      await h.backend.apply({ kind: 'set-address', name: 'personal', family: 'ip', value: null });
      await h.backend.apply({ kind: 'set-feature', name: 'sys-net', feature: 'ipv6', value: null });
      const reset = await h.backend.load();
      assert.equal(reset.get('personal')?.ip, undefined);
      assert.deepEqual(reset.get('sys-net')?.features, {});
      assert.equal(h.fake.callsOf('admin.vm.property.Reset')[0].arg, 'ip');
    });

    it('treats deleting a feature that is already gone as done', async () => {
      h.fake.domains.get('work')!.features.set('x', '1');
      // Another client removes it between qnet's read and its write.
      h.fake.failNext('admin.vm.feature.Remove', new FakeQubesException('QubesFeatureNotFoundError', 'gone'));
      const next = await h.backend.apply({ kind: 'set-feature', name: 'work', feature: 'x', value: null });
      assert.equal(next.get('work')?.features.x, undefined);
    });

    it('surfaces a qubesd refusal as QubesdError', async () => {
      h.fake.failNext(
        'admin.vm.property.Set',
        new FakeQubesException('QubesVMNotHaltedError', 'Domain is not powered off'),
      );
      await assert.rejects(
        h.backend.apply({ kind: 'set-provides-network', name: 'work', value: true }),
        (err: unknown) => err instanceof QubesdError && err.code === 'CONFLICT',
      );
    });

    it('validates before writing: a netvm loop sends nothing', async () => {
      await assert.rejects(
        h.backend.apply({ kind: 'set-netvm', name: 'sys-net', netvm: 'sys-firewall' }),
        InvalidInventoryError,
      );
      assert.equal(h.fake.calls.filter((c) => WRITE_METHODS.test(c.method)).length, 0);
    });

    it('refuses create, remove and power changes without calling qubesd', async () => {
      await assert.rejects(h.backend.apply({ kind: 'remove', name: 'work' }), UnsupportedChangeError);
      await assert.rejects(
        h.backend.apply({ kind: 'set-power', name: 'work', power: 'halted' }),
        UnsupportedChangeError,
      );
      assert.equal(h.fake.calls.length, 0);
    });
  });

  describe('watch', () => {
    function collect() {
      const events: InventoryBackendEvent[] = [];
      const stop = h.backend.watch((e) => events.push(e));
      return { events, stop };
    }

    it('announces a full resync once the events connection is up', async () => {
      const { events } = collect();
      await waitFor(() => events.length === 1, 2000, 'initial resync');
      assert.equal(events[0].reason, 'full resync: events connected');
      assert.equal(h.fake.callsOf('admin.Events').length, 1);
      assert.equal(h.fake.callsOf('admin.Events')[0].dest, 'dom0');
    });

    it('turns qubesd events into notifications, one per burst', async () => {
      const { events } = collect();
      await waitFor(() => events.length === 1, 2000, 'initial resync');
      h.fake.setState('personal', 'Running');
      await waitFor(() => events.length === 2, 2000, 'domain-start');
      // qubesd announces the new domain's id before the start itself.
      assert.equal(events[1].reason, 'property-reset:xid personal, domain-start personal');

      await h.client.call({ method: 'admin.vm.property.Set', arg: 'netvm', dest: 'work', payload: 'sys-net' });
      await h.client.call({ method: 'admin.vm.feature.Set', arg: 'ipv6', dest: 'sys-net', payload: '1' });
      await h.client.call({ method: 'admin.vm.firewall.Set', dest: 'work', payload: 'action=drop\n' });
      await waitFor(() => events.length === 3, 2000, 'burst');
      await new Promise((r) => setTimeout(r, 60));
      assert.equal(events.length, 3, 'one notification for the burst');
      assert.equal(events[2].reason, 'property-set:netvm work, domain-feature-set:ipv6 sys-net, firewall-changed work');
    });

    it('says nothing for events that do not change the inventory', async () => {
      const { events } = collect();
      await waitFor(() => events.length === 1, 2000, 'initial resync');
      h.fake.emitEvent('work', 'property-set:label', { name: 'label', newvalue: 'red' });
      h.fake.emitEvent('work', 'domain-pre-start', {});
      h.fake.emitEvent(null, 'domain-add', { vm: 'late' });
      await waitFor(() => events.length === 2, 2000, 'domain-add');
      assert.equal(events[1].reason, 'domain-add late');
    });

    it('reconnects after the events connection drops and asks for a full resync', async () => {
      const { events } = collect();
      await waitFor(() => events.length === 1, 2000, 'initial resync');
      h.fake.dropEventConnections();
      await waitFor(() => events.length === 2, 2000, 'resync after reconnect');
      assert.equal(events[1].reason, 'full resync after events reconnect');
      assert.equal(h.fake.callsOf('admin.Events').length, 2);
      h.fake.setState('work', 'Halted');
      await waitFor(() => events.length === 3, 2000, 'event on the new connection');
      assert.equal(events[2].reason, 'property-reset:xid work, domain-shutdown work');
    });

    it('keeps retrying with backoff while qubesd is down', async () => {
      const { events } = collect();
      await waitFor(() => events.length === 1, 2000, 'initial resync');
      await h.fake.stop();
      await new Promise((r) => setTimeout(r, 150));
      await h.fake.start(h.socketPath);
      await waitFor(() => events.length === 2, 3000, 'resync after qubesd restart');
      assert.equal(events[1].reason, 'full resync after events reconnect');
    });

    it('lets apply reuse the last read while events prove it current', async () => {
      const { events } = collect();
      await waitFor(() => events.length === 1, 2000, 'initial resync');
      await h.backend.load();
      await h.backend.apply({ kind: 'set-feature', name: 'sys-net', feature: 'ipv6', value: '1' });
      assert.equal(h.fake.callsOf('admin.vm.List').length, 1, 'no second read before the write');
      await waitFor(() => events.length === 2, 2000, 'the write event');
      // Another Admin API client (qvm-prefs, say) changes qubesd.
      await h.client.call({ method: 'admin.vm.property.Set', arg: 'provides_network', dest: 'work', payload: 'True' });
      await waitFor(() => events.length === 3, 2000, 'the outside change');
      const next = await h.backend.apply({ kind: 'set-netvm', name: 'personal', netvm: 'work' });
      assert.equal(h.fake.callsOf('admin.vm.List').length, 2, 'an event since the read forces a new one');
      assert.equal(next.get('work')?.providesNetwork, true);
      h.fake.dropEventConnections();
      await waitFor(() => events.length === 5, 2000, 'resync');
      h.fake.addDomain({ name: 'sneaky', qid: 50, netvm: null }, false);
      // No event announced sneaky: an apply right after a resync-triggering reconnect still reads afresh.
      const after = await h.backend.apply({ kind: 'set-netvm', name: 'sneaky', netvm: 'sys-net' });
      assert.equal(after.get('sneaky')?.netvm, 'sys-net');
    });

    it('retries while qubesd refuses admin.Events or garbles the stream', async () => {
      h.fake.replyRaw('admin.Events', Buffer.from('2\0PermissionDenied\0\0not now\0'));
      const { events } = collect();
      await waitFor(() => h.fake.callsOf('admin.Events').length >= 2, 2000, 'a retry');
      h.fake.replyRaw('admin.Events', Buffer.from('1\0work\0\0\0'));
      await waitFor(() => h.fake.callsOf('admin.Events').length >= 4, 2000, 'more retries');
      assert.equal(events.length, 0);
      h.fake.replyRaw('admin.Events', undefined);
      await waitFor(() => events.length === 1, 2000, 'resync once events flow');
      assert.equal(events[0].reason, 'full resync: events connected');
    });

    it('stops following events when the last listener unsubscribes', async () => {
      const { events, stop } = collect();
      await waitFor(() => events.length === 1, 2000, 'initial resync');
      stop();
      h.fake.setState('work', 'Halted');
      await new Promise((r) => setTimeout(r, 60));
      // Like qubesd, the fake notices a closed events connection when its next write fails.
      await waitFor(() => h.fake.eventConnectionCount === 0, 2000, 'events connection closed');
      assert.equal(events.length, 1);
    });
  });
});

import assert from 'node:assert/strict';
import type { NetConfigDocument } from '../../../../services/net-config';
import { silentLogger } from '../../../../shared/logging/logger';
import { SerialQueue } from '../../../../shared/runtime/serial-queue';
import type { DnsUpdateApplier } from '../../../../vm-side/apply/dns-update-applier';
import { SystemDnsAtBoot } from '../../../../vm-side/boot/system-dns-at-boot';
import { decideSystemDns } from '../../../../vm-side/boot/system-dns-decision';
import type { SystemUpstream } from '../../../../vm-side/dns/system-upstream';
import { memoryStore } from '../helpers/memory-store';

const sysNet: NetConfigDocument = {
  generation: 3,
  qube: 'sys-net',
  provider: { ip: '10.138.0.1', ipv6: false, clients: [] },
};
const sysFirewall: NetConfigDocument = {
  ...sysNet,
  qube: 'sys-firewall',
  uplink: {
    mac: '00:16:3e:5e:6c:00',
    ip: '10.138.0.5',
    netmask: '255.255.255.255',
    gateway: '10.138.0.1',
    dns: ['10.139.1.1', '10.139.1.2'],
  },
};
const app: NetConfigDocument = { generation: 1, qube: 'work', uplink: sysFirewall.uplink };

describe('decideSystemDns', () => {
  it('reads the system only in a network-providing qube without a netvm that dom0 sent no DnsUpdate', () => {
    assert.deepEqual(decideSystemDns(sysNet, undefined), { read: true });
    assert.deepEqual(decideSystemDns(sysNet, 0), { read: true }, 'generation 0 is a local document, not dom0');
    assert.equal(decideSystemDns(sysNet, 4).read, false);
    assert.equal(decideSystemDns(sysFirewall, undefined).read, false);
    assert.equal(decideSystemDns(app, undefined).read, false);
    assert.equal(decideSystemDns(undefined, undefined).read, false);
  });
});

describe('SystemDnsAtBoot', () => {
  function setup(netConfig: NetConfigDocument | undefined, read: () => Promise<string[]>) {
    const applied: { generation: number; upstream: readonly string[] }[] = [];
    const applier = {
      service: 'qubes.DnsUpdate',
      apply: async (doc: { generation: number; upstream: readonly string[] }) => void applied.push(doc),
    } as unknown as DnsUpdateApplier;
    const store = memoryStore(netConfig ? { 'qubes.NetConfig': { generation: 3, document: netConfig } } : {});
    const queue = new SerialQueue();
    const step = new SystemDnsAtBoot(
      store,
      { read } as SystemUpstream,
      applier,
      { run: (task) => queue.run(task) },
      silentLogger,
    );
    return { step, applied, store };
  }

  it("applies a sys-net's own servers without saving them", async () => {
    const { step, applied, store } = setup(sysNet, async () => ['192.0.2.53', '2001:db8::53']);
    assert.deepEqual(await step.run(), { applied: ['192.0.2.53', '2001:db8::53'] });
    assert.deepEqual(applied, [{ generation: 0, upstream: ['192.0.2.53', '2001:db8::53'] }]);
    assert.equal(store.saved.has('qubes.DnsUpdate'), false);
  });

  it('fails closed when the configuration cannot be read: DNS1/DNS2 dropped', async () => {
    const { step, applied } = setup(sysNet, () => Promise.reject(new Error('EACCES')));
    assert.deepEqual(await step.run(), { applied: [] });
    assert.deepEqual(applied, [{ generation: 0, upstream: [] }]);
  });

  it('leaves a qube with a netvm to dom0 and never reads its system', async () => {
    let reads = 0;
    const { step, applied } = setup(sysFirewall, async () => (reads++, ['192.0.2.53']));
    assert.ok('skipped' in (await step.run()));
    assert.equal(reads, 0);
    assert.deepEqual(applied, []);
  });

  it('a re-check applies only a change of the servers', async () => {
    let servers = ['192.0.2.53'];
    const { step, applied } = setup(sysNet, async () => servers);
    await step.run();
    assert.equal(await step.recheck(), undefined, 'same servers: nothing applied');
    servers = ['198.51.100.53'];
    assert.deepEqual(await step.recheck(), { applied: ['198.51.100.53'] });
    servers = [];
    assert.deepEqual(await step.recheck(), { applied: [] }, 'servers gone: back to dropped');
    assert.equal(await step.recheck(), undefined);
    assert.deepEqual(
      applied.map((d) => d.upstream),
      [['192.0.2.53'], ['198.51.100.53'], []],
    );
  });

  it('reports an apply that the kernel refused instead of throwing', async () => {
    const { step } = setup(sysNet, async () => ['192.0.2.53']);
    (step as unknown as { applier: { apply: () => Promise<void> } }).applier.apply = () =>
      Promise.reject(new Error('nft: No such file or directory'));
    assert.deepEqual(await step.run(), { failed: 'nft: No such file or directory' });
  });
});

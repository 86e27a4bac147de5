import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetConfigDocument } from '../../../services/net-config';
import { Netns, rootSkipReason, vethPair } from '../../helpers/netns';
import { isEmptyPlan } from '../../../vm-side/planners/plan-net-config';
import { agentKit, type AgentKit } from './agent-kit';

const MAC = '00:16:3e:5e:6c:05';
const doc = (over: Partial<NonNullable<NetConfigDocument['uplink']>> = {}, generation = 1): NetConfigDocument => ({
  generation,
  qube: 'work',
  uplink: {
    mac: MAC,
    ip: '10.137.0.5',
    netmask: '255.255.255.255',
    gateway: '10.137.0.1',
    dns: ['10.139.1.1', '10.139.1.2'],
    ...over,
  },
});
const v6 = { ip6: 'fd09:24ef:4179::a89:5', gateway6: 'fd09:24ef:4179::a89:1' };

interface IpAddr {
  ifname: string;
  mtu: number;
  group: string;
  flags: string[];
  addr_info: { local: string; prefixlen: number; scope: string }[];
}

describe('guest role against the kernel (netns)', function () {
  let guest: Netns | undefined;
  let netvm: Netns | undefined;
  let kit: AgentKit | undefined;

  before(function () {
    const reason = rootSkipReason(['ip', 'nft', 'sysctl']);
    if (reason) this.skip();
  });

  beforeEach(() => {
    guest = new Netns('guest');
    netvm = new Netns('netvm');
    vethPair(guest, 'eth0', netvm, 'vif5.0', { aMac: MAC, bMac: 'fe:ff:ff:ff:ff:ff' });
    kit = agentKit(guest);
  });

  afterEach(() => {
    guest?.dispose();
    netvm?.dispose();
    kit?.dispose();
  });

  const eth0 = () => guest!.json<IpAddr[]>('ip', ['-j', 'addr', 'show', 'dev', 'eth0'])[0];
  const globalAddrs = () =>
    eth0()
      .addr_info.filter((a) => a.scope === 'global')
      .map((a) => `${a.local}/${a.prefixlen}`)
      .sort();

  it('applies the uplink: /32, neighbour, routes, group 1, MTU and resolv.conf; the second plan is empty', async () => {
    const d = doc({ ...v6, mtu: 1400 });
    await kit!.netConfig.apply(d);

    const link = eth0();
    assert.ok(link.flags.includes('UP'));
    assert.equal(link.mtu, 1400);
    assert.equal(link.group, '1');
    assert.deepEqual(globalAddrs(), ['10.137.0.5/32', 'fd09:24ef:4179::a89:5/128']);
    const routes = guest!.json<{ dst: string; gateway?: string; flags: string[] }[]>('ip', ['-j', 'route', 'show']);
    assert.deepEqual(
      routes.map((r) => [r.dst, r.gateway ?? '', r.flags.includes('onlink')]),
      [
        ['default', '10.137.0.1', true],
        ['10.137.0.1', '', false],
      ],
    );
    const routes6 = guest!.json<{ dst: string; gateway?: string; protocol?: string }[]>('ip', [
      '-j',
      '-6',
      'route',
      'show',
    ]);
    assert.ok(routes6.some((r) => r.dst === 'default' && r.gateway === 'fd09:24ef:4179::a89:1'));
    const neigh = guest!.json<{ dst: string; lladdr: string; state: string[] }[]>('ip', [
      '-j',
      'neigh',
      'show',
      'nud',
      'permanent',
    ]);
    assert.deepEqual(neigh.map((n) => [n.dst, n.lladdr]).sort(), [
      ['10.137.0.1', 'fe:ff:ff:ff:ff:ff'],
      ['fd09:24ef:4179::a89:1', 'fe:ff:ff:ff:ff:ff'],
    ]);
    assert.equal(readFileSync(kit!.config.resolvConf, 'utf8'), 'nameserver 10.139.1.1\nnameserver 10.139.1.2\n');

    const again = await kit!.netConfig.plan(d);
    assert.ok(isEmptyPlan(again), `second plan not empty: ${JSON.stringify(again)}`);
  });

  it('a changed document removes what is stale: the old address and IPv6 after it is turned off', async () => {
    await kit!.netConfig.apply(doc(v6));
    await kit!.netConfig.apply(doc({ ip: '10.137.0.9' }, 2), doc(v6));
    assert.deepEqual(globalAddrs(), ['10.137.0.9/32']);
    const routes6 = guest!.json<{ dst: string; protocol?: string }[]>('ip', ['-j', '-6', 'route', 'show']);
    assert.deepEqual(
      routes6.filter((r) => r.protocol !== 'kernel'),
      [],
    );
    const neigh = guest!.json<{ dst: string }[]>('ip', ['-j', 'neigh', 'show', 'nud', 'permanent']);
    assert.deepEqual(
      neigh.map((n) => n.dst),
      ['10.137.0.1'],
    );
    assert.ok(isEmptyPlan(await kit!.netConfig.plan(doc({ ip: '10.137.0.9' }, 2))));
  });

  it('keeps what others added on eth0 (a VPN route, an address, a pinned neighbour) across pushes', async () => {
    await kit!.netConfig.apply(doc());
    guest!.exec('ip', ['route', 'add', '203.0.113.0/24', 'via', '10.137.0.1', 'dev', 'eth0', 'onlink']);
    guest!.exec('ip', ['route', 'add', '198.51.100.9/32', 'dev', 'eth0']);
    guest!.exec('ip', ['addr', 'add', '192.0.2.7/24', 'dev', 'eth0']);
    guest!.exec('ip', [
      'neigh',
      'add',
      '10.137.0.99',
      'lladdr',
      '00:16:3e:00:00:99',
      'dev',
      'eth0',
      'nud',
      'permanent',
    ]);
    const foreign = () => ({
      routes: guest!
        .json<{ dst: string; protocol?: string }[]>('ip', ['-j', 'route', 'show', 'dev', 'eth0'])
        .filter((r) => r.protocol !== 'kernel')
        .map((r) => r.dst)
        .filter((d) => d === '203.0.113.0/24' || d === '198.51.100.9')
        .sort(),
      addrs: globalAddrs().filter((a) => a === '192.0.2.7/24'),
      neigh: guest!
        .json<{ dst: string }[]>('ip', ['-j', 'neigh', 'show', 'nud', 'permanent'])
        .map((n) => n.dst)
        .filter((d) => d === '10.137.0.99'),
    });
    const all = { routes: ['198.51.100.9', '203.0.113.0/24'], addrs: ['192.0.2.7/24'], neigh: ['10.137.0.99'] };
    assert.deepEqual(foreign(), all);
    // The same document pushed again (as at every qnetd restart), then a changed one (a new address).
    await kit!.netConfig.apply(doc({}, 2), doc());
    assert.deepEqual(foreign(), all, 'a re-push removes nothing qnet did not install');
    await kit!.netConfig.apply(doc({ ip: '10.137.0.9' }, 3), doc({}, 2));
    assert.deepEqual(foreign(), all, 'a changed document removes only what qnet installed before');
    assert.deepEqual(globalAddrs(), ['10.137.0.9/32', '192.0.2.7/24']);
  });

  it("an app qube's listening port is closed to its netvm until the user opens it in custom-input", async () => {
    await kit!.netConfig.apply(doc());
    // The netvm's side of the link, as a provider sets it up.
    netvm!.exec('ip', ['addr', 'add', '10.137.0.1/32', 'dev', 'vif5.0']);
    netvm!.exec('ip', ['link', 'set', 'vif5.0', 'up']);
    netvm!.exec('ip', ['route', 'add', '10.137.0.5/32', 'dev', 'vif5.0']);
    const server = spawn('ip', [
      'netns',
      'exec',
      guest!.name,
      process.execPath,
      '-e',
      "require('net').createServer((c) => { c.on('error', () => {}); c.end('hi'); }).listen(8080, () => console.log('ready'));",
    ]);
    try {
      await once(server.stdout, 'data');
      const connect = () =>
        netvm!
          .exec(process.execPath, [
            '-e',
            `const s=require('net').connect({host:'10.137.0.5',port:8080});s.setTimeout(800,()=>{console.log('timeout');process.exit(0)});
             s.on('connect',()=>{console.log('open');process.exit(0)});s.on('error',e=>{console.log(e.code);process.exit(0)});`,
          ])
          .trim();
      assert.equal(connect(), 'timeout', 'the input filter drops new connections from the netvm');
      const ping = netvm!.run('ping', ['-c', '1', '-W', '1', '10.137.0.5']);
      assert.notEqual(ping.status, 0, 'ICMP is accepted only from client vifs, not from the uplink');
      guest!.exec('nft', ['add', 'rule', 'ip', 'qubes', 'custom-input', 'tcp', 'dport', '8080', 'accept']);
      assert.equal(connect(), 'open', 'the documented custom-input chain works in an app qube');
      await kit!.netConfig.apply(doc({}, 2), doc());
      assert.equal(connect(), 'open', 'a push never touches custom-input');
    } finally {
      server.kill();
    }
  });

  it('a qube that loses its uplink keeps nothing of it', async () => {
    await kit!.netConfig.apply(doc(v6));
    await kit!.netConfig.apply({ generation: 2, qube: 'work' }, doc(v6));
    assert.deepEqual(globalAddrs(), []);
    assert.deepEqual(guest!.json<unknown[]>('ip', ['-j', 'route', 'show']), []);
    assert.deepEqual(guest!.json<unknown[]>('ip', ['-j', 'neigh', 'show', 'nud', 'permanent']), []);
  });

  it('leaves a protected resolv.conf alone', async () => {
    mkdirSync(kit!.config.protectedFilesDir, { recursive: true });
    writeFileSync(join(kit!.config.protectedFilesDir, 'user.conf'), `${kit!.config.resolvConf}\n`);
    writeFileSync(kit!.config.resolvConf, 'nameserver 192.0.2.53\n');
    await kit!.netConfig.apply(doc());
    assert.equal(readFileSync(kit!.config.resolvConf, 'utf8'), 'nameserver 192.0.2.53\n');
  });

  it('fails with APPLY_FAILED when no interface has the MAC, changing nothing', async () => {
    await assert.rejects(kit!.netConfig.apply(doc({ mac: '00:16:3e:00:00:99' })), { code: 'APPLY_FAILED' });
    assert.deepEqual(globalAddrs(), []);
  });
});

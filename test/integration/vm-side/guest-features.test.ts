import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { documentKey, NET_CONFIG } from '../../../dom0-side/documents/document-types';
import { computeSnapshot } from '../../../dom0-side/documents/network-snapshot';
import { Inventory } from '../../../dom0-side/inventory/inventory';
import type { NetConfigDocument, Uplink } from '../../../services/net-config';
import { MAPPED_IP_TABLE } from '../../../vm-side/planners/plan-mapped-ip-nat';
import { isEmptyPlan } from '../../../vm-side/planners/plan-net-config';
import { Netns, rootSkipReason, vethPair } from '../../helpers/netns';
import { defaultInstall } from '../../unit/dom0-side/qube-fixture';
import { agentKit, type AgentKit } from './agent-kit';

const MAC = '00:16:3e:5e:6c:00';
const VIF_MAC = 'fe:ff:ff:ff:ff:ff';
const uplink: Uplink = {
  mac: MAC,
  ip: '10.137.0.7',
  netmask: '255.255.255.255',
  gateway: '10.137.0.6',
  dns: ['10.139.1.1', '10.139.1.2'],
};
const guestDoc = (over: Partial<Uplink> = {}, generation = 1): NetConfigDocument => ({
  generation,
  qube: 'work',
  uplink: { ...uplink, ...over },
});

interface IpLink {
  ifname: string;
  mtu: number;
  group: string;
  flags: string[];
  operstate: string;
}
interface IpRoute {
  dst: string;
  gateway?: string;
  protocol?: string;
}
type Json = Record<string, unknown>;

/** A directory of fake tools put first on PATH: each records its argv, one line per call. */
function fakeTools(scripts: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'qnet-fake-bin-'));
  for (const [name, body] of Object.entries(scripts)) {
    writeFileSync(join(dir, name), `#!/bin/sh\necho "$0 $*" >> ${join(dir, 'calls.log')}\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  }
  const oldPath = process.env.PATH;
  process.env.PATH = `${dir}:${oldPath ?? ''}`;
  return {
    dir,
    calls: () => {
      try {
        return readFileSync(join(dir, 'calls.log'), 'utf8')
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => l.replace(`${dir}/`, ''));
      } catch {
        return [];
      }
    },
    dispose: () => {
      process.env.PATH = oldPath;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('guest features against the kernel (netns)', function () {
  let guest: Netns | undefined;
  let netvm: Netns | undefined;
  let kit: AgentKit | undefined;
  const cleanups: (() => void)[] = [];

  before(function () {
    if (rootSkipReason(['ip', 'nft', 'sysctl'])) this.skip();
  });

  beforeEach(() => {
    guest = new Netns('gfg');
    netvm = new Netns('gfp');
    vethPair(guest, 'eth0', netvm, 'vif7.0', { aMac: MAC, bMac: VIF_MAC });
  });

  afterEach(() => {
    while (cleanups.length > 0) cleanups.pop()!();
    guest?.dispose();
    netvm?.dispose();
    kit?.dispose();
    kit = undefined;
  });

  const link = (ns: Netns, dev: string) => ns.json<IpLink[]>('ip', ['-j', 'link', 'show', 'dev', dev])[0];
  const routes = (ns: Netns) =>
    ns.json<IpRoute[]>('ip', ['-j', 'route', 'show']).filter((r) => r.protocol !== 'kernel');
  const addrs = (ns: Netns, dev: string) =>
    ns
      .json<{ addr_info: { local: string; prefixlen: number; scope: string }[] }[]>('ip', [
        '-j',
        'addr',
        'show',
        'dev',
        dev,
      ])[0]
      .addr_info.filter((a) => a.scope === 'global')
      .map((a) => `${a.local}/${a.prefixlen}`);

  it('MTU: dom0 fills it from vm-config.net-mtu and the agent sets it on eth0', async () => {
    const qubes = defaultInstall().map((q) =>
      q.name === 'work' ? { ...q, features: { 'vm-config.net-mtu': '1400' } } : q,
    );
    const doc = computeSnapshot(Inventory.of(qubes), 0).documents.get(documentKey('work', NET_CONFIG));
    assert.ok(doc && doc.service === NET_CONFIG && doc.body.uplink);
    assert.equal(doc.body.uplink.mtu, 1400);
    kit = agentKit(guest!);
    await kit.netConfig.apply({ generation: 1, ...doc.body });
    assert.equal(link(guest!, 'eth0').mtu, 1400);
    assert.ok(isEmptyPlan(await kit.netConfig.plan({ generation: 1, ...doc.body })));
  });

  it('disable-default-route and disable-dns-server: no default route, resolv.conf without servers; off again restores both', async () => {
    kit = agentKit(guest!);
    await kit.netConfig.apply(guestDoc());
    assert.ok(routes(guest!).some((r) => r.dst === 'default'));
    const off = guestDoc({ disableDefaultRoute: true, disableDnsServer: true }, 2);
    await kit.netConfig.apply(off, guestDoc());
    assert.deepEqual(
      routes(guest!).map((r) => r.dst),
      ['10.137.0.6'],
    );
    assert.equal(readFileSync(kit.config.resolvConf, 'utf8'), '\n');
    assert.ok(isEmptyPlan(await kit.netConfig.plan(off, guestDoc())));
    await kit.netConfig.apply(guestDoc({}, 3), off);
    assert.ok(routes(guest!).some((r) => r.dst === 'default' && r.gateway === '10.137.0.6'));
    assert.equal(readFileSync(kit.config.resolvConf, 'utf8'), 'nameserver 10.139.1.1\nnameserver 10.139.1.2\n');
  });

  it('the same services set in the qube itself (/run/qubes-service) count as well', async () => {
    kit = agentKit(guest!);
    mkdirSync(kit.config.qubesServiceDir, { recursive: true });
    writeFileSync(join(kit.config.qubesServiceDir, 'disable-default-route'), '');
    await kit.netConfig.apply(guestDoc());
    assert.ok(!routes(guest!).some((r) => r.dst === 'default'));
  });

  it('a resolv.conf listed in /rw/config/protected-files.d is left alone (the template list is read too)', async () => {
    kit = agentKit(guest!);
    mkdirSync(kit.config.perVmProtectedFilesDir, { recursive: true });
    writeFileSync(join(kit.config.perVmProtectedFilesDir, 'vpn.conf'), `${kit.config.resolvConf}\n`);
    writeFileSync(kit.config.resolvConf, 'nameserver 192.0.2.53\n');
    await kit.netConfig.apply(guestDoc());
    assert.equal(readFileSync(kit.config.resolvConf, 'utf8'), 'nameserver 192.0.2.53\n');
    // A backup copy of a listing protects nothing, as with is_protected_file's grep.
    rmSync(join(kit.config.perVmProtectedFilesDir, 'vpn.conf'));
    writeFileSync(join(kit.config.perVmProtectedFilesDir, 'vpn.conf~'), `${kit.config.resolvConf}\n`);
    await kit.netConfig.apply(guestDoc({}, 2), guestDoc());
    assert.equal(readFileSync(kit.config.resolvConf, 'utf8'), 'nameserver 10.139.1.1\nnameserver 10.139.1.2\n');
  });

  it('where systemd-resolved is enabled, sets the link servers with `resolvectl dns eth0 …` (a fake resolvectl)', async () => {
    // A real resolvectl talks to the machine's one resolved over D-Bus, not to a namespace: a recording fake stands in.
    const tools = fakeTools({
      systemctl: '[ "$*" = "is-enabled -q systemd-resolved.service" ] && exit 0; exit 1',
      resolvectl: [
        'state="$(dirname "$0")/servers"',
        'if [ "$1" = dns ] && [ $# -eq 2 ]; then echo "Link 2 ($2): $(cat "$state" 2>/dev/null)"; exit 0; fi',
        'if [ "$1" = dns ]; then shift 2; echo "$*" > "$state"; fi',
        'if [ "$1" = revert ]; then : > "$state"; fi',
      ].join('\n'),
    });
    cleanups.push(tools.dispose);
    kit = agentKit(guest!, { resolvectlBinary: 'resolvectl', systemctlBinary: 'systemctl' });
    await kit.netConfig.apply(guestDoc());
    assert.deepEqual(tools.calls(), [
      'systemctl is-enabled -q systemd-resolved.service',
      'resolvectl dns eth0',
      'resolvectl dns eth0 10.139.1.1 10.139.1.2',
    ]);
    // resolv.conf is written as well, as setup-ip does.
    assert.equal(readFileSync(kit.config.resolvConf, 'utf8'), 'nameserver 10.139.1.1\nnameserver 10.139.1.2\n');
    assert.ok(isEmptyPlan(await kit.netConfig.plan(guestDoc())), 'the servers are in place: nothing to do');
    await kit.netConfig.apply(guestDoc({ disableDnsServer: true }, 2), guestDoc());
    assert.equal(tools.calls().at(-1), 'resolvectl revert eth0');
  });

  it('with the network-manager service, writes the profile as setup-ip does and leaves eth0 unconfigured (a fake nmcli)', async () => {
    // NetworkManager cannot run in a test namespace: a recording nmcli stands in, and the file is what is checked.
    const tools = fakeTools({ nmcli: 'exit 0' });
    cleanups.push(tools.dispose);
    kit = agentKit(guest!, { nmcliBinary: join(tools.dir, 'nmcli') });
    mkdirSync(kit.config.nmConnectionsDir, { recursive: true });
    mkdirSync(kit.config.qubesServiceDir, { recursive: true });
    writeFileSync(join(kit.config.qubesServiceDir, 'network-manager'), '');
    await kit.netConfig.apply(guestDoc({ mtu: 1400 }));

    const path = join(kit.config.nmConnectionsDir, 'qubes-uplink-eth0');
    assert.equal(
      readFileSync(path, 'utf8'),
      '[802-3-ethernet]\nduplex=full\n\n[ethernet]\nmac-address=00:16:3e:5e:6c:00\nmtu=1400\n\n[connection]\n' +
        'id=VM uplink eth0\nuuid=de85f79b-8c3d-405f-a652-00163e5e6c00\ntype=802-3-ethernet\n' +
        '[ipv4]\nmethod=manual\nmay-fail=false\n\ndns=10.139.1.1;10.139.1.2\naddresses1=10.137.0.7;32;10.137.0.6\n' +
        '[ipv6]\nmethod=ignore\n',
    );
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(tools.calls(), [`nmcli connection load ${path}`]);
    // eth0 itself: no address, no route, not brought up, MTU untouched; only setup-ip's group and gateway neighbour.
    assert.deepEqual(addrs(guest!, 'eth0'), []);
    assert.deepEqual(routes(guest!), []);
    const eth0 = link(guest!, 'eth0');
    assert.ok(!eth0.flags.includes('UP'));
    assert.equal(eth0.mtu, 1500);
    assert.equal(eth0.group, '1');
    assert.equal(kit.config.resolvConf && readFileSafe(kit.config.resolvConf), undefined);
    assert.ok(isEmptyPlan(await kit.netConfig.plan(guestDoc({ mtu: 1400 }))));

    // The service goes off: qnet's profile is removed (NetworkManager told), and the agent configures eth0 itself.
    rmSync(join(kit.config.qubesServiceDir, 'network-manager'));
    await kit.netConfig.apply(guestDoc({ mtu: 1400 }, 2), guestDoc({ mtu: 1400 }));
    assert.equal(readFileSafe(path), undefined);
    assert.equal(tools.calls().at(-1), `nmcli connection load ${path}`);
    assert.deepEqual(addrs(guest!, 'eth0'), ['10.137.0.7/32']);
    assert.equal(link(guest!, 'eth0').mtu, 1400);
  });

  it('never removes a NetworkManager profile that qnet did not write', async () => {
    kit = agentKit(guest!);
    mkdirSync(kit.config.nmConnectionsDir, { recursive: true });
    const path = join(kit.config.nmConnectionsDir, 'qubes-uplink-eth0');
    writeFileSync(path, '[connection]\nid=mine\n');
    await kit.netConfig.apply(guestDoc({}, 2), guestDoc());
    assert.equal(readFileSync(path, 'utf8'), '[connection]\nid=mine\n');
  });

  it('net.fake-ip: the qube holds only its visible address, and its provider sees the real one (real packets)', async () => {
    const upstream = new Netns('gfu');
    cleanups.push(() => upstream.dispose());
    kit = agentKit(guest!);
    const providerKit = agentKit(netvm!);
    cleanups.push(() => providerKit.dispose());
    // The provider with an uplink of its own to an upstream namespace (documentation addresses only).
    vethPair(netvm!, 'eth0', upstream, 'eth0');
    netvm!.exec('ip', ['addr', 'add', '198.51.100.2/24', 'dev', 'eth0']);
    netvm!.exec('ip', ['link', 'set', 'eth0', 'up']);
    netvm!.exec('ip', ['route', 'add', 'default', 'via', '198.51.100.1', 'dev', 'eth0']);
    upstream.exec('ip', ['addr', 'add', '198.51.100.1/24', 'dev', 'eth0']);
    upstream.exec('ip', ['link', 'set', 'eth0', 'up']);

    const providerDoc: NetConfigDocument = {
      generation: 1,
      qube: 'sys-firewall',
      provider: {
        ip: '10.137.0.6',
        ipv6: false,
        clients: [
          {
            name: 'work',
            ip: '10.137.0.7',
            vif: 'vif7.0',
            visibleIp: '10.152.152.11',
            visibleGateway: '10.152.152.10',
          },
        ],
      },
    };
    await providerKit.netConfig.apply(providerDoc);
    const visible = guestDoc({ ip: '10.152.152.11', netmask: '255.255.255.0', gateway: '10.152.152.10' });
    await kit.netConfig.apply(visible);
    assert.deepEqual(addrs(guest!, 'eth0'), ['10.152.152.11/24']);

    // Test-only counters in the provider, before conntrack: which source address does its IP stack see?
    netvm!.exec(
      'nft',
      ['-f', '-'],
      `table ip qnt-observe {
      chain pre { type filter hook prerouting priority -400; policy accept;
        ip saddr 10.137.0.7 udp dport 9 counter
        ip saddr 10.152.152.11 counter
        ip daddr 10.137.0.6 udp dport 9 counter
      }
    }`,
    );
    const observed = () =>
      netvm!
        .json<{ nftables: Json[] }>('nft', ['-j', 'list', 'table', 'ip', 'qnt-observe'])
        .nftables.flatMap((i) => (i.rule ? [(i.rule as { expr: Json[] }).expr] : []))
        .map((expr) => (expr.find((e) => 'counter' in e)?.counter as { packets: number }).packets);

    // An echo server upstream: the reply must come back through the provider to the visible address.
    const echo = spawn('ip', [
      'netns',
      'exec',
      upstream.name,
      process.execPath,
      '-e',
      `const s=require('dgram').createSocket('udp4');s.on('message',(m,r)=>s.send('echo:'+r.address,r.port,r.address));
       s.bind(9,()=>console.log('ready'));setTimeout(()=>process.exit(0),5000);`,
    ]);
    cleanups.push(() => echo.kill());
    await once(echo.stdout, 'data');
    const answer = guest!.exec(process.execPath, [
      '-e',
      `const s=require('dgram').createSocket('udp4');
       s.on('message',(m)=>{console.log(String(m));process.exit(0)});
       s.bind({address:'10.152.152.11'},()=>s.send('hi',9,'198.51.100.1'));
       setTimeout(()=>{console.log('no answer');process.exit(0)},3000);`,
    ]);
    // The upstream sees the provider's address (masqueraded), and the answer reached the qube's visible address.
    assert.equal(answer.trim(), 'echo:198.51.100.2');
    // The provider's own stack saw the real address, never the fake one.
    const [real, fake] = observed();
    assert.equal(real, 1);
    assert.equal(fake, 0);

    // The gateway the qube was told is the provider itself: a packet to it arrives for the provider's real address.
    guest!.exec(process.execPath, [
      '-e',
      `const s=require('dgram').createSocket('udp4');s.bind({address:'10.152.152.11'},()=>s.send('x',9,'10.152.152.10',()=>s.close()));`,
    ]);
    assert.equal(observed()[2], 1);

    // Converged: a second plan is empty on both sides; a client without a fake address leaves no table behind.
    assert.ok(isEmptyPlan(await providerKit.netConfig.plan(providerDoc)));
    assert.ok(isEmptyPlan(await kit.netConfig.plan(visible)));
    const plain: NetConfigDocument = {
      ...providerDoc,
      generation: 2,
      provider: { ...providerDoc.provider!, clients: [{ name: 'work', ip: '10.137.0.7', vif: 'vif7.0' }] },
    };
    await providerKit.netConfig.apply(plain, providerDoc);
    assert.equal(netvm!.run('nft', ['list', 'table', 'netdev', MAPPED_IP_TABLE]).status !== 0, true);

    // On a real Qubes, upstream's vif-qubes-nat.sh may already have put this vif behind `vif7.0-nat`: never twice.
    mkdirSync(providerKit.config.netnsDir, { recursive: true });
    writeFileSync(join(providerKit.config.netnsDir, 'vif7.0-nat'), '');
    await providerKit.netConfig.apply({ ...providerDoc, generation: 3 }, plain);
    assert.equal(netvm!.run('nft', ['list', 'table', 'netdev', MAPPED_IP_TABLE]).status !== 0, true);
  });
});

function readFileSafe(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

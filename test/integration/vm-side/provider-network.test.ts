import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { NetConfigDocument, ProviderConfig } from '../../../services/net-config';
import { Netns, rootSkipReason, vethPair } from '../../helpers/netns';
import { isEmptyPlan } from '../../../vm-side/planners/plan-net-config';
import { agentKit, type AgentKit } from './agent-kit';

type Json = Record<string, unknown>;
const CLIENT_MAC = '00:16:3e:5e:6c:07';

const provider = (over: Partial<ProviderConfig> = {}): ProviderConfig => ({
  ip: '10.137.0.6',
  ipv6: false,
  clients: [{ name: 'work', ip: '10.137.0.7', vif: 'vif7.0' }],
  ...over,
});
const doc = (p: ProviderConfig, generation = 1): NetConfigDocument => ({
  generation,
  qube: 'sys-firewall',
  provider: p,
});

describe('provider role against the kernel (netns)', function () {
  let netvm: Netns | undefined;
  let client: Netns | undefined;
  let kit: AgentKit | undefined;
  let clientKit: AgentKit | undefined;

  before(function () {
    if (rootSkipReason(['ip', 'nft', 'sysctl', 'conntrack'])) this.skip();
  });

  beforeEach(() => {
    netvm = new Netns('pnet');
    client = new Netns('pcli');
    vethPair(netvm, 'vif7.0', client, 'eth0', { aMac: 'fe:ff:ff:ff:ff:ff', bMac: CLIENT_MAC });
    kit = agentKit(netvm);
    clientKit = agentKit(client);
  });

  afterEach(() => {
    netvm?.dispose();
    client?.dispose();
    kit?.dispose();
    clientKit?.dispose();
  });

  const table = (family: string) =>
    netvm!.json<{ nftables: Json[] }>('nft', ['-j', 'list', 'table', family, 'qubes']).nftables;
  const setElems = (family: string, name: string) =>
    ((table(family).find((i) => (i.set as Json | undefined)?.name === name)?.set as Json).elem ?? []) as unknown[];
  const chains = (family: string) =>
    table(family)
      .filter((i) => i.chain)
      .map((i) => (i.chain as Json).name)
      .sort();
  const sysctl = (key: string) => netvm!.exec('sysctl', ['-n', key]).trim();
  /** The provider with its one client, and that client's own uplink through it. */
  const configureProviderAndClient = async () => {
    await kit!.netConfig.apply(doc(provider()));
    await clientKit!.netConfig.apply({
      generation: 1,
      qube: 'work',
      uplink: {
        mac: CLIENT_MAC,
        ip: '10.137.0.7',
        netmask: '255.255.255.255',
        gateway: '10.137.0.6',
        dns: ['10.139.1.1', '10.139.1.2'],
      },
    });
  };

  it('installs sets, base chains, host route, /32 on the vif and sysctls; the second plan is empty', async () => {
    await kit!.netConfig.apply(doc(provider()));

    assert.deepEqual(setElems('ip', 'allowed'), [{ concat: ['vif7.0', '10.137.0.7'] }]);
    assert.deepEqual(setElems('ip', 'downstream'), ['10.137.0.7']);
    assert.deepEqual(chains('ip'), [
      'antispoof',
      'custom-forward',
      'custom-input',
      'dnat-dns',
      'forward',
      'input',
      'postrouting',
      'prerouting',
    ]);
    assert.deepEqual(chains('ip6'), [
      '_icmpv6',
      'antispoof',
      'custom-forward',
      'custom-input',
      'forward',
      'input',
      'postrouting',
      'prerouting',
    ]);
    const vif = netvm!.json<{ group: string; flags: string[]; addr_info: { local: string; prefixlen: number }[] }[]>(
      'ip',
      ['-j', 'addr', 'show', 'dev', 'vif7.0'],
    )[0];
    assert.equal(vif.group, '2');
    assert.ok(vif.flags.includes('UP'));
    assert.deepEqual(
      vif.addr_info.filter((a) => !a.local.startsWith('fe80')).map((a) => `${a.local}/${a.prefixlen}`),
      ['10.137.0.6/32'],
    );
    const routes = netvm!.json<{ dst: string; dev: string }[]>('ip', ['-j', 'route', 'show']);
    assert.deepEqual(
      routes.map((r) => `${r.dst} ${r.dev}`),
      ['10.137.0.7 vif7.0'],
    );
    assert.equal(sysctl('net.ipv4.ip_forward'), '1');
    assert.equal(sysctl('net/ipv4/conf/vif7.0/proxy_arp'), '1');
    assert.equal(sysctl('net.ipv6.conf.all.forwarding'), '0');

    const again = await kit!.netConfig.plan(doc(provider()));
    assert.ok(isEmptyPlan(again), `second plan not empty: ${JSON.stringify(again)}`);
  });

  /** One UDP datagram from the client namespace, with a chosen source address. */
  const sendUdp = (from: string, to: string) =>
    client!.exec(process.execPath, [
      '-e',
      `const s = require('node:dgram').createSocket('udp4');
       s.bind({ address: ${JSON.stringify(from)} }, () => s.send('x', 9, ${JSON.stringify(to)}, () => s.close()));`,
    ]);
  /** Packets counted by the rule of `chain` whose expression holds `verdict` (nft -j list). */
  const counted = (chain: string, verdict: string) => {
    const rule = table('ip').find((i) => {
      const r = i.rule as { chain: string; expr: Json[] } | undefined;
      return r?.chain === chain && r.expr.some((e) => verdict in e);
    })?.rule as { expr: Json[] };
    return (rule.expr.find((e) => 'counter' in e)?.counter as { packets: number }).packets;
  };

  it('lets its client in and drops packets whose source the client does not own (real packets)', async () => {
    await configureProviderAndClient();
    sendUdp('10.137.0.7', '10.137.0.6');
    // Past the antispoof check, then refused by input: no port of the provider is open to clients.
    assert.equal(counted('antispoof', 'drop'), 0);
    assert.equal(counted('input', 'reject'), 1);
    // A hostile client controls its own kernel: without its own NAT (which would rewrite the source), it spoofs.
    client!.exec('nft', ['delete', 'table', 'ip', 'qubes']);
    client!.exec('ip', ['addr', 'add', '10.137.0.66/32', 'dev', 'eth0']);
    sendUdp('10.137.0.66', '10.137.0.6');
    assert.equal(counted('antispoof', 'drop'), 1);
    assert.equal(counted('input', 'reject'), 1);
  });

  it("forgets a departed client's tracked flows, so a later owner of its address inherits none", async () => {
    await configureProviderAndClient();
    // The user's chain opens a port, so the flow is accepted and conntrack keeps it.
    netvm!.exec('nft', ['add', 'rule', 'ip', 'qubes', 'custom-input', 'udp', 'dport', '9', 'accept']);
    sendUdp('10.137.0.7', '10.137.0.6');
    const flows = () => netvm!.run('conntrack', ['-L', '-s', '10.137.0.7']).stdout.trim();
    assert.match(flows(), /src=10\.137\.0\.7/);
    await kit!.netConfig.apply(doc(provider({ clients: [] }), 2));
    assert.equal(flows(), '');
  });

  it('turns IPv6 on and off live, leaving no stale IPv6 entry', async () => {
    const client6 = { name: 'work', ip: '10.137.0.7', ip6: 'fd09:24ef:4179::a89:7', vif: 'vif7.0' };
    const on = provider({ ipv6: true, ip6: 'fd09:24ef:4179::a89:6', clients: [client6] });
    await kit!.netConfig.apply(doc(on));
    assert.deepEqual(setElems('ip6', 'allowed'), [{ concat: ['vif7.0', 'fd09:24ef:4179::a89:7'] }]);
    assert.equal(sysctl('net.ipv6.conf.all.forwarding'), '1');
    assert.equal(sysctl('net/ipv6/conf/vif7.0/proxy_ndp'), '1');
    assert.ok(isEmptyPlan(await kit!.netConfig.plan(doc(on))));

    const off = provider({ clients: [client6] });
    // The agent hands the previously applied document along (from its state): it says what qnet installed.
    await kit!.netConfig.apply(doc(off, 2), doc(on));
    assert.deepEqual(setElems('ip6', 'allowed'), []);
    assert.deepEqual(setElems('ip6', 'downstream'), []);
    assert.equal(sysctl('net.ipv6.conf.all.forwarding'), '0');
    const routes6 = netvm!.json<{ dst: string; protocol?: string }[]>('ip', ['-j', '-6', 'route', 'show']);
    assert.deepEqual(
      routes6.filter((r) => r.protocol !== 'kernel').map((r) => r.dst),
      [],
    );
    assert.ok(isEmptyPlan(await kit!.netConfig.plan(doc(off, 2))));
  });

  it('removes a client that left completely, and keeps the user chains untouched', async () => {
    await kit!.netConfig.apply(doc(provider()));
    netvm!.exec('nft', ['add', 'rule', 'ip', 'qubes', 'custom-input', 'tcp', 'dport', '22', 'accept']);
    await kit!.netConfig.apply(doc(provider({ clients: [] }), 2), doc(provider()));
    assert.deepEqual(setElems('ip', 'allowed'), []);
    assert.deepEqual(setElems('ip', 'downstream'), []);
    assert.deepEqual(netvm!.json<unknown[]>('ip', ['-j', 'route', 'show']), []);
    const custom = table('ip').filter((i) => (i.rule as Json | undefined)?.chain === 'custom-input');
    assert.equal(custom.length, 1);
  });

  it('masquerades what leaves through an uplink outside any group (a VPN tunnel), as upstream', async () => {
    await configureProviderAndClient();
    // A tunnel-like uplink: not eth0, not in group 1; the upstream end sits in a namespace of its own.
    const upstream = new Netns('pup');
    try {
      vethPair(netvm!, 'wg0', upstream, 'eth0');
      netvm!.exec('ip', ['addr', 'add', '198.51.100.2/24', 'dev', 'wg0']);
      netvm!.exec('ip', ['link', 'set', 'wg0', 'up']);
      netvm!.exec('ip', ['route', 'add', 'default', 'via', '198.51.100.1', 'dev', 'wg0']);
      upstream.exec('ip', ['addr', 'add', '198.51.100.1/24', 'dev', 'eth0']);
      upstream.exec('ip', ['link', 'set', 'eth0', 'up']);
      const receiver = spawn('ip', [
        'netns',
        'exec',
        upstream.name,
        process.execPath,
        '-e',
        `const s=require('dgram').createSocket('udp4');s.on('message',(m,r)=>{console.log('from '+r.address);process.exit(0)});
         s.bind(9,()=>console.log('ready'));setTimeout(()=>{console.log('nothing');process.exit(0)},3000);`,
      ]);
      let out = '';
      receiver.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await once(receiver.stdout, 'data');
      sendUdp('10.137.0.7', '198.51.100.1');
      await once(receiver, 'exit');
      assert.match(out, /from 198\.51\.100\.2/, `the upstream sees the provider's address: ${out}`);
    } finally {
      upstream.dispose();
    }
  });

  it("never strips a group-2 vif no document named, nor a user's route on a client vif", async () => {
    await kit!.netConfig.apply(doc(provider()));
    // A client still being set up: its vif is in group 2 with the provider's address before any document names it.
    const other = new Netns('pcl2');
    try {
      vethPair(netvm!, 'vif9.0', other, 'eth0');
      netvm!.exec('ip', ['link', 'set', 'vif9.0', 'group', '2', 'up']);
      netvm!.exec('ip', ['addr', 'add', '10.137.0.6/32', 'dev', 'vif9.0']);
      netvm!.exec('ip', ['route', 'add', '10.137.0.90/32', 'dev', 'vif9.0']);
      netvm!.exec('ip', ['route', 'add', '192.0.2.0/24', 'dev', 'vif7.0']);
      const routes = () =>
        netvm!
          .json<{ dst: string; dev: string }[]>('ip', ['-j', 'route', 'show'])
          .map((r) => `${r.dst} ${r.dev}`)
          .sort();
      const before = routes();
      assert.deepEqual(before, ['10.137.0.7 vif7.0', '10.137.0.90 vif9.0', '192.0.2.0/24 vif7.0']);
      await kit!.netConfig.apply(doc(provider(), 2), doc(provider()));
      assert.deepEqual(routes(), before, 'a re-push removes nothing qnet did not install');
      const vif9 = netvm!.json<{ addr_info: { local: string }[] }[]>('ip', ['-j', 'addr', 'show', 'dev', 'vif9.0'])[0];
      assert.ok(
        vif9.addr_info.some((a) => a.local === '10.137.0.6'),
        'the unnamed vif keeps its address',
      );
      // The client leaves: its host route and the provider's address on its vif go, the user's route stays.
      await kit!.netConfig.apply(doc(provider({ clients: [] }), 3), doc(provider(), 2));
      assert.deepEqual(routes(), ['10.137.0.90 vif9.0']);
    } finally {
      other.dispose();
    }
  });

  it('a failure in the middle of an nft transaction leaves the previous ruleset intact', async () => {
    await kit!.netConfig.apply(doc(provider()));
    const before = netvm!.exec('nft', ['list', 'ruleset']);
    await assert.rejects(
      kit!.nft.apply({
        commands: [
          { add: { element: { family: 'ip', table: 'qubes', name: 'downstream', elem: ['10.137.0.99'] } } },
          { flush: { chain: { family: 'ip', table: 'qubes', name: 'forward' } } },
          { add: { rule: { family: 'ip', table: 'qubes', chain: 'no-such-chain', expr: [{ accept: null }] } } },
        ],
      }),
      { code: 'APPLY_FAILED' },
    );
    assert.equal(netvm!.exec('nft', ['list', 'ruleset']), before);
  });

  it('DnsUpdate replaces the DNAT chain atomically; no IPv4 upstream drops the virtual addresses', async () => {
    await kit!.netConfig.apply(doc(provider()));
    const dnatRules = () =>
      netvm!
        .exec('nft', ['list', 'chain', 'ip', 'qubes', 'dnat-dns'])
        .split('\n')
        .map((l) => l.trim().replace(/ comment ".*"$/, ''))
        .filter((l) => l.startsWith('ip '));
    assert.deepEqual(dnatRules(), ['ip daddr { 10.139.1.1, 10.139.1.2 } drop']);
    await kit!.dns.apply({ generation: 1, upstream: ['192.0.2.53', '198.51.100.53'] });
    assert.deepEqual(dnatRules(), [
      'ip daddr 10.139.1.1 udp dport 53 dnat to 192.0.2.53',
      'ip daddr 10.139.1.1 tcp dport 53 dnat to 192.0.2.53',
      'ip daddr 10.139.1.2 udp dport 53 dnat to 198.51.100.53',
      'ip daddr 10.139.1.2 tcp dport 53 dnat to 198.51.100.53',
    ]);
    assert.deepEqual(await kit!.dns.plan({ generation: 1, upstream: ['192.0.2.53', '198.51.100.53'] }), []);
    // A NetConfig push afterwards leaves the DNS chain as DnsUpdate set it.
    await kit!.netConfig.apply(doc(provider(), 2));
    assert.equal(dnatRules().length, 4);
    await kit!.dns.apply({ generation: 2, upstream: ['2001:db8::53'] });
    assert.deepEqual(dnatRules(), ['ip daddr { 10.139.1.1, 10.139.1.2 } drop']);
  });
});

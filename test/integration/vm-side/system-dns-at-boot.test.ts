import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetConfigDocument } from '../../../services/net-config';
import { encode } from '../../../shared/codec/strict-unpackr';
import { Netns, rootSkipReason, vethPair } from '../../helpers/netns';
import { runProcess, stopChild, tempDir, waitFor } from '../../helpers/processes';

const MAIN = join(__dirname, '..', '..', '..', 'vm-side', 'main.js');
/** A sys-net: it provides network and has no netvm, so dom0 has no DNS servers for it. */
const SYS_NET: NetConfigDocument = {
  generation: 3,
  qube: 'sys-net',
  provider: { ip: '10.138.0.1', ipv6: false, clients: [] },
};

/**
 * Issue 13 point 8: a sys-net whose uplink is not NetworkManager's (so no
 * dispatcher hook ever runs) points DNS1/DNS2 at its own servers when the
 * agent starts, through the real agent process and nft in a namespace.
 */
describe('a sys-net reads its upstream DNS servers at boot (root, real agent and nft)', function () {
  this.timeout(30_000);
  let ns: Netns | undefined;
  let dir: ReturnType<typeof tempDir> | undefined;
  let agent: ChildProcess | undefined;
  let peer: Netns | undefined;

  before(function () {
    if (rootSkipReason(['ip', 'nft'])) this.skip();
  });
  beforeEach(() => {
    ns = new Netns('sysnet');
    dir = tempDir('sysnet-dns');
  });
  afterEach(async () => {
    if (agent) await stopChild(agent);
    agent = undefined;
    ns?.dispose();
    peer?.dispose();
    peer = undefined;
    dir?.dispose();
  });

  const env = () => ({
    QNET_STATE_DIR: join(dir!.path, 'state'),
    QNET_RUN_DIR: join(dir!.path, 'run'),
    QNET_RESOLV_CONF: join(dir!.path, 'resolv.conf'),
    QNET_RESOLVED_CONF: join(dir!.path, 'resolved.conf'),
    QNET_PROTECTED_FILES_DIR: join(dir!.path, 'protected'),
    QNET_LOG_LEVEL: 'error',
    // dom0 cannot be reached: the qube must not wait for it to get its DNS.
    QNET_QREXEC_CLIENT_VM: '/bin/false',
    QNET_INIT_ATTEMPTS: '1',
  });
  const saveNetConfig = (doc: NetConfigDocument) => {
    mkdirSync(env().QNET_STATE_DIR, { recursive: true });
    writeFileSync(join(env().QNET_STATE_DIR, 'qubes.NetConfig.json'), JSON.stringify({ generation: 3, document: doc }));
  };
  const serve = async (extra: NodeJS.ProcessEnv = {}) => {
    const socket = join(env().QNET_RUN_DIR, 'agent.sock');
    const child = spawn('ip', ['netns', 'exec', ns!.name, process.execPath, MAIN, 'serve'], {
      env: { ...process.env, ...env(), ...extra },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    agent = child;
    // The socket appears once the agent converged and read the system's servers.
    await waitFor(() => existsSync(socket) || child.exitCode !== null, 15_000, 'agent socket');
    assert.equal(child.exitCode, null, 'agent exited');
  };
  const dnsChain = () => ns!.exec('nft', ['list', 'chain', 'ip', 'qubes', 'dnat-dns']);

  it('serve: DNAT to the servers of resolv.conf, read again at every start', async () => {
    saveNetConfig(SYS_NET);
    writeFileSync(env().QNET_RESOLV_CONF, '# written by dhclient\nnameserver 192.0.2.53\nnameserver 198.51.100.53\n');
    await serve();
    let chain = dnsChain();
    assert.match(chain, /ip daddr 10\.139\.1\.1 udp dport 53 dnat to 192\.0\.2\.53/);
    assert.match(chain, /ip daddr 10\.139\.1\.1 tcp dport 53 dnat to 192\.0\.2\.53/);
    assert.match(chain, /ip daddr 10\.139\.1\.2 udp dport 53 dnat to 198\.51\.100\.53/);
    assert.doesNotMatch(chain, /drop/);
    assert.equal(existsSync(join(env().QNET_STATE_DIR, 'qubes.DnsUpdate.json')), false, 'nothing is saved');

    await stopChild(agent!);
    writeFileSync(env().QNET_RESOLV_CONF, 'nameserver 203.0.113.53\n');
    await serve();
    chain = dnsChain();
    assert.match(chain, /ip daddr 10\.139\.1\.2 tcp dport 53 dnat to 203\.0\.113\.53/);
    assert.doesNotMatch(chain, /192\.0\.2\.53/);
  });

  it('serve: a lease that arrives after the start is picked up while serving', async () => {
    saveNetConfig(SYS_NET);
    writeFileSync(env().QNET_RESOLV_CONF, '');
    await serve({ QNET_SYSTEM_DNS_POLL_MS: '200' });
    assert.match(dnsChain(), /ip daddr \{ 10\.139\.1\.1, 10\.139\.1\.2 \} drop/);
    writeFileSync(env().QNET_RESOLV_CONF, '# dhclient\nnameserver 192.0.2.53\n');
    await waitFor(() => /dnat to 192\.0\.2\.53/.test(dnsChain()), 5_000, 'the new server in the chain');
  });

  it('serve: no IPv4 server in the system leaves DNS1/DNS2 dropped (fail closed)', async () => {
    saveNetConfig(SYS_NET);
    writeFileSync(env().QNET_RESOLV_CONF, 'nameserver 2001:db8::53\n');
    await serve();
    const chain = dnsChain();
    assert.match(chain, /ip daddr \{ 10\.139\.1\.1, 10\.139\.1\.2 \} drop/);
    assert.doesNotMatch(chain, /dnat to/);
  });

  it("init: after dom0's document, the servers of systemd-resolved when resolv.conf names only its stub", async () => {
    writeFileSync(env().QNET_RESOLV_CONF, 'nameserver 127.0.0.53\noptions edns0 trust-ad\n');
    writeFileSync(env().QNET_RESOLVED_CONF, 'nameserver 203.0.113.53\nnameserver 2001:db8::53\n');
    const reply = join(dir!.path, 'reply.bin');
    writeFileSync(reply, encode({ ok: true, result: SYS_NET }));
    const dom0 = join(dir!.path, 'qrexec-client-vm');
    writeFileSync(dom0, `#!/bin/sh\ncat >/dev/null\ncat ${reply}\n`, { mode: 0o755 });
    const r = await runProcess('ip', ['netns', 'exec', ns!.name, process.execPath, MAIN, 'init'], Buffer.alloc(0), {
      ...env(),
      QNET_QREXEC_CLIENT_VM: dom0,
    });
    assert.equal(r.status, 0, r.stderr);
    const chain = dnsChain();
    assert.match(chain, /ip daddr 10\.139\.1\.1 udp dport 53 dnat to 203\.0\.113\.53/);
    assert.match(chain, /ip daddr 10\.139\.1\.2 udp dport 53 dnat to 203\.0\.113\.53/);
  });

  it('a qube with a netvm does not take its DNS targets from its own resolv.conf', async () => {
    saveNetConfig({
      ...SYS_NET,
      qube: 'sys-firewall',
      uplink: {
        mac: '00:16:3e:5e:6c:00',
        ip: '10.138.0.5',
        netmask: '255.255.255.255',
        gateway: '10.138.0.1',
        dns: ['10.139.1.1', '10.139.1.2'],
      },
    });
    // Its uplink is there, so its network applies (and its resolv.conf becomes DNS1/DNS2, as upstream's).
    peer = new Netns('sysnetup');
    vethPair(ns!, 'eth0', peer, 'vif5.0', { aMac: '00:16:3e:5e:6c:00' });
    writeFileSync(env().QNET_RESOLV_CONF, 'nameserver 192.0.2.53\n');
    await serve();
    assert.match(dnsChain(), /ip daddr \{ 10\.139\.1\.1, 10\.139\.1\.2 \} drop/, 'closed until dom0 pushes');
    assert.doesNotMatch(dnsChain(), /dnat to/);
  });
});

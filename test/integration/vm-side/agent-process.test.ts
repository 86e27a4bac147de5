import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetConfigDocument } from '../../../services/net-config';
import { encode, unpackStrict } from '../../../shared/codec/strict-unpackr';
import { Netns, rootSkipReason, vethPair } from '../../helpers/netns';
import { rawSocketCall, runProcess, stopChild, tempDir, waitFor } from '../../helpers/processes';

const MAIN = join(__dirname, '..', '..', '..', 'vm-side', 'main.js');
const MAC = '00:16:3e:5e:6c:0a';
const doc = (generation: number, ip = '10.137.0.10'): NetConfigDocument => ({
  generation,
  qube: 'work',
  uplink: { mac: MAC, ip, netmask: '255.255.255.255', gateway: '10.137.0.1', dns: ['10.139.1.1', '10.139.1.2'] },
});

describe('qnet-agent process in a namespace (serve, service, init)', function () {
  let guest: Netns | undefined;
  let peer: Netns | undefined;
  let dir: ReturnType<typeof tempDir> | undefined;
  let agent: ChildProcess | undefined;

  before(function () {
    if (rootSkipReason(['ip', 'nft'])) this.skip();
  });
  beforeEach(() => {
    guest = new Netns('agent');
    peer = new Netns('apeer');
    vethPair(guest, 'eth0', peer, 'vif10.0', { aMac: MAC, bMac: 'fe:ff:ff:ff:ff:ff' });
    dir = tempDir('agent-it');
  });
  afterEach(async () => {
    if (agent) await stopChild(agent);
    agent = undefined;
    guest?.dispose();
    peer?.dispose();
    dir?.dispose();
  });

  const env = () => ({
    QNET_STATE_DIR: join(dir!.path, 'state'),
    QNET_RUN_DIR: join(dir!.path, 'run'),
    QNET_RESOLV_CONF: join(dir!.path, 'resolv.conf'),
    QNET_PROTECTED_FILES_DIR: join(dir!.path, 'protected'),
    QNET_RESOLVECTL: '',
    QNET_NMCLI: '',
    QNET_LOG_LEVEL: 'error',
  });
  /** The default place: RUN_DIR/agent.sock, its directory made by the agent. */
  const socket = () => join(dir!.path, 'run', 'agent.sock');
  const startAgent = async (extra: NodeJS.ProcessEnv = {}) => {
    const child = spawn('ip', ['netns', 'exec', guest!.name, process.execPath, MAIN, 'serve'], {
      env: { ...process.env, ...env(), ...extra },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    agent = child;
    await waitFor(() => existsSync(socket()) || child.exitCode !== null, 15000, 'agent socket');
    assert.equal(child.exitCode, null, 'agent exited');
  };
  const push = async (source: string, d: NetConfigDocument) => {
    const { data } = await rawSocketCall(socket(), [Buffer.from(`qubes.NetConfig ${source}\0`), encode(d)]);
    return unpackStrict(data) as { ok: boolean; result?: { appliedGeneration: number }; error?: { code: string } };
  };
  const addrs = () =>
    guest!
      .json<{ addr_info: { local: string; scope: string }[] }[]>('ip', ['-j', 'addr', 'show', 'dev', 'eth0'])[0]
      .addr_info.filter((a) => a.scope === 'global')
      .map((a) => a.local);

  it('applies a push, refuses a stale generation with the one it holds, refuses a non-dom0 caller', async () => {
    await startAgent();
    assert.deepEqual(await push('dom0', doc(5)), { ok: true, result: { appliedGeneration: 5 } });
    assert.deepEqual(addrs(), ['10.137.0.10']);
    assert.deepEqual(await push('dom0', doc(4, '10.137.0.44')), { ok: true, result: { appliedGeneration: 5 } });
    assert.deepEqual(addrs(), ['10.137.0.10']);
    const refused = await push('work', doc(6, '10.137.0.66'));
    assert.equal(refused.ok, false);
    assert.equal(refused.error?.code, 'FORBIDDEN');
    const saved = JSON.parse(readFileSync(join(env().QNET_STATE_DIR, 'qubes.NetConfig.json'), 'utf8'));
    assert.equal(saved.generation, 5);
  });

  it('re-applies the saved documents on restart, before it serves', async () => {
    await startAgent();
    await push('dom0', doc(7));
    await stopChild(agent!);
    guest!.exec('ip', ['addr', 'flush', 'dev', 'eth0']);
    assert.deepEqual(addrs(), []);
    await startAgent();
    // The socket appears only after convergence.
    assert.deepEqual(addrs(), ['10.137.0.10']);
  });

  /** A qrexec-client-vm that answers as dom0 would with `answer`, and leaves a mark when it was called. */
  const fakeDom0 = (answer: NetConfigDocument) => {
    const reply = join(dir!.path, 'reply.bin');
    const called = join(dir!.path, 'dom0-called');
    writeFileSync(reply, encode({ ok: true, result: answer }));
    const client = join(dir!.path, 'qrexec-client-vm');
    writeFileSync(client, `#!/bin/sh\ncat >/dev/null\ncat ${reply}\ntouch ${called}\n`, { mode: 0o755 });
    return { client, called };
  };

  it('serve asks dom0 for its current document at start and applies it when newer than the saved one', async () => {
    await startAgent();
    await push('dom0', doc(7));
    await stopChild(agent!);
    // A push of generation 9 failed while the agent was down; dom0 holds it.
    const dom0 = fakeDom0(doc(9, '10.137.0.19'));
    await startAgent({ QNET_QREXEC_CLIENT_VM: dom0.client });
    await waitFor(() => addrs().join() === '10.137.0.19', 10_000, 'the pulled document in force');
    // The kernel changes first and the state file is written right after: wait for the save, too.
    const savedGeneration = () =>
      JSON.parse(readFileSync(join(env().QNET_STATE_DIR, 'qubes.NetConfig.json'), 'utf8')).generation as number;
    await waitFor(() => savedGeneration() === 9, 10_000, 'the pulled document saved');
  });

  it('serve keeps the saved document when dom0 sends an older one or cannot be reached', async () => {
    await startAgent();
    await push('dom0', doc(7));
    await stopChild(agent!);
    const dom0 = fakeDom0(doc(4, '10.137.0.44'));
    await startAgent({ QNET_QREXEC_CLIENT_VM: dom0.client });
    await waitFor(() => existsSync(dom0.called), 10_000, 'the pull');
    assert.deepEqual(await push('dom0', doc(7)), { ok: true, result: { appliedGeneration: 7 } });
    assert.deepEqual(addrs(), ['10.137.0.10']);
    await stopChild(agent!);
    await startAgent({ QNET_QREXEC_CLIENT_VM: '/bin/false', QNET_INIT_ATTEMPTS: '1' });
    assert.deepEqual(await push('dom0', doc(7)), { ok: true, result: { appliedGeneration: 7 } });
    assert.deepEqual(addrs(), ['10.137.0.10']);
  });

  it('serves the executable form with the exit code of the outcome', async () => {
    const run = (source: string, d: NetConfigDocument) =>
      runProcess(
        'ip',
        ['netns', 'exec', guest!.name, process.execPath, MAIN, 'service', 'qubes.NetConfig'],
        encode(d),
        {
          ...env(),
          QREXEC_REMOTE_DOMAIN: source,
          QREXEC_SERVICE_FULL_NAME: 'qubes.NetConfig',
        },
      );
    const ok = await run('dom0', doc(3));
    assert.equal(ok.status, 0, ok.stderr);
    assert.deepEqual(unpackStrict(ok.stdout), { ok: true, result: { appliedGeneration: 3 } });
    assert.deepEqual(addrs(), ['10.137.0.10']);
    const denied = await run('work', doc(4));
    assert.equal(denied.status, 77);
  });

  it('init pulls its document through qrexec-client-vm and applies it', async () => {
    const reply = join(dir!.path, 'reply.bin');
    writeFileSync(reply, encode({ ok: true, result: doc(9, '10.137.0.19') }));
    const fakeClient = join(dir!.path, 'qrexec-client-vm');
    // Checks the call it is asked to make, then answers as dom0 would.
    writeFileSync(
      fakeClient,
      `#!/bin/sh\n[ "$1" = "@adminvm" ] && [ "$2" = "qubes.NetConfig" ] || exit 127\ncat >/dev/null\ncat ${reply}\n`,
      { mode: 0o755 },
    );
    const r = await runProcess('ip', ['netns', 'exec', guest!.name, process.execPath, MAIN, 'init'], Buffer.alloc(0), {
      ...env(),
      QNET_QREXEC_CLIENT_VM: fakeClient,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(addrs(), ['10.137.0.19']);
    assert.equal(readFileSync(env().QNET_RESOLV_CONF, 'utf8'), 'nameserver 10.139.1.1\nnameserver 10.139.1.2\n');
  });

  it('dns-update --from-system reads the provider resolv.conf and replaces the DNS chain', async () => {
    writeFileSync(env().QNET_RESOLV_CONF, '# from NetworkManager\nnameserver 192.0.2.53\nnameserver 198.51.100.53\n');
    const r = await runProcess(
      'ip',
      ['netns', 'exec', guest!.name, process.execPath, MAIN, 'dns-update', '--from-system'],
      Buffer.alloc(0),
      env(),
    );
    assert.equal(r.status, 0, r.stderr);
    const chain = guest!.exec('nft', ['list', 'chain', 'ip', 'qubes', 'dnat-dns']);
    assert.match(chain, /ip daddr 10\.139\.1\.1 udp dport 53 dnat to 192\.0\.2\.53/);
    assert.match(chain, /ip daddr 10\.139\.1\.2 tcp dport 53 dnat to 198\.51\.100\.53/);
    // A local setting is the qube's override, kept apart from what dom0 pushes.
    const saved = JSON.parse(readFileSync(join(env().QNET_STATE_DIR, 'local', 'dns-override.json'), 'utf8'));
    assert.deepEqual(saved.upstream, ['192.0.2.53', '198.51.100.53']);
    assert.equal(saved.source, 'from-system');
    const dry = await runProcess(
      'ip',
      ['netns', 'exec', guest!.name, process.execPath, MAIN, 'dns-update', '--upstream', '203.0.113.53', '--dry-run'],
      Buffer.alloc(0),
      env(),
    );
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout.toString(), /^nft \{"flush"/);
    assert.match(guest!.exec('nft', ['list', 'chain', 'ip', 'qubes', 'dnat-dns']), /192\.0\.2\.53/);
  });
  const dnsPush = async (generation: number, upstream: string[]) => {
    const { data } = await rawSocketCall(socket(), [
      Buffer.from('qubes.DnsUpdate dom0\0'),
      encode({ generation, upstream }),
    ]);
    return unpackStrict(data) as { ok: boolean; result?: { appliedGeneration: number; localOverride?: string[] } };
  };
  const dnsUpdate = async (...args: string[]) => {
    const r = await runProcess(
      'ip',
      ['netns', 'exec', guest!.name, process.execPath, MAIN, 'dns-update', ...args],
      Buffer.alloc(0),
      env(),
    );
    assert.equal(r.status, 0, r.stderr.toString());
  };
  const dnatTargets = () =>
    [...guest!.exec('nft', ['list', 'chain', 'ip', 'qubes', 'dnat-dns']).matchAll(/dnat to (\S+)/g)].map((m) => m[1]);

  it("a VPN's local DNS override survives dom0's pushes and agent restarts until --clear", async () => {
    await startAgent();
    await push('dom0', doc(3));
    assert.deepEqual(await dnsPush(3, ['10.139.1.1', '10.139.1.2']), { ok: true, result: { appliedGeneration: 3 } });
    assert.ok(dnatTargets().includes('10.139.1.1'));
    await dnsUpdate('--upstream', '198.51.100.153');
    assert.deepEqual([...new Set(dnatTargets())], ['198.51.100.153']);
    // dom0 pushes again (a qnet push, a netvm change): the chain keeps the VPN's server, and dom0 is told why.
    assert.deepEqual(await dnsPush(4, ['10.139.1.1', '10.139.1.2']), {
      ok: true,
      result: { appliedGeneration: 4, localOverride: ['198.51.100.153'] },
    });
    assert.deepEqual([...new Set(dnatTargets())], ['198.51.100.153']);
    await stopChild(agent!);
    guest!.exec('nft', ['flush', 'chain', 'ip', 'qubes', 'dnat-dns']);
    await startAgent({ QNET_QREXEC_CLIENT_VM: '/bin/false', QNET_INIT_ATTEMPTS: '1' });
    assert.deepEqual([...new Set(dnatTargets())], ['198.51.100.153'], 'restored at restart, not 10.139.1.x');
    await dnsUpdate('--clear');
    assert.deepEqual([...new Set(dnatTargets())].sort(), ['10.139.1.1', '10.139.1.2']);
    assert.deepEqual(await dnsPush(5, ['10.139.1.1', '10.139.1.2']), { ok: true, result: { appliedGeneration: 5 } });
  });
});

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ClientFirewall } from '../../../../services/firewall-sync';
import { silentLogger } from '../../../../shared/logging/logger';
import { NftJsonExecutor } from '../../../../vm-side/executors/nft-executor';
import { ConntrackToolExecutor } from '../../../../vm-side/firewall/conntrack-tool-executor';
import { FirewallEngine } from '../../../../vm-side/firewall/firewall-engine';
import { NameCache } from '../../../../vm-side/firewall/name-cache';
import { startDnsmasq, type Dnsmasq } from '../../../helpers/dnsmasq';
import type { Netns } from '../../../helpers/netns';
import { rootSkipReason } from '../../../helpers/netns';
import { tempDir } from '../../../helpers/processes';
import { FakeClock } from '../../../unit/vm-side/firewall/fixtures';
import { NetnsHostResolver } from './netns-host-resolver';
import { CLIENT, INTERNET, ProviderLab, runnerIn } from './provider-lab';

/** The name's first answer; the rotation replaces it with INTERNET. Both live in the internet namespace. */
const OLD = '198.51.100.2';
const TTL_S = 10;
const GRACE_MS = 600_000;
const PORT = 443;

/**
 * A TCP connection from the client namespace to `host`, held open: `exchange`
 * sends a line and says whether the echo came back within a second.
 */
class HeldFlow {
  private readonly child: ChildProcess;
  private readonly lines: AsyncIterableIterator<string>;

  constructor(ns: Netns, host: string) {
    const script = `const s=require('net').connect({host:'${host}',port:${PORT}});
s.on('connect',()=>console.log('connected'));s.on('error',e=>console.log('error '+e.code));
let waiting;s.on('data',()=>{if(waiting){clearTimeout(waiting);waiting=undefined;console.log('echo')}});
require('readline').createInterface({input:process.stdin}).on('line',()=>{s.write('x');
waiting=setTimeout(()=>{waiting=undefined;console.log('silent')},1000)});`;
    this.child = spawn('ip', ['netns', 'exec', ns.name, process.execPath, '-e', script], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.lines = createInterface({ input: this.child.stdout! })[Symbol.asyncIterator]();
  }

  private async next(): Promise<string> {
    const line = await this.lines.next();
    return line.done ? 'exited' : line.value;
  }

  connected(): Promise<string> {
    return this.next();
  }

  async exchange(): Promise<string> {
    this.child.stdin?.write('\n');
    let line = await this.next();
    // A socket error (the ICMP a reject sends) is reported on its own line before the silence.
    while (line.startsWith('error ')) line = await this.next();
    return line;
  }

  close(): void {
    this.child.kill('SIGKILL');
  }
}

const work = (rules: ClientFirewall['rules']): ClientFirewall => ({
  name: 'work',
  ip: CLIENT.ip,
  dns: ['10.139.1.1'],
  rules,
});
const toLb = (port = PORT) =>
  work([{ action: 'accept', proto: 'tcp', dsthost: 'lb.example', dstports: { from: port, to: port } }]);

/**
 * Issue 13 point 6: a `dsthost` name whose answer rotates on TTL refresh, with
 * a real dnsmasq whose hosts file changes, a real established TCP flow, real
 * nft and conntrack. Time is the one seam: the clock is pushed past the TTL
 * and the grace instead of waiting for them.
 */
describe('dsthost rotation grace with a real DNS server (root, real packets)', function () {
  this.timeout(60_000);
  let lab: ProviderLab | undefined;
  let dns: Dnsmasq | undefined;
  let dir: { path: string; dispose(): void } | undefined;
  let echo: ChildProcess | undefined;
  let flow: HeldFlow | undefined;
  let engine: FirewallEngine | undefined;
  let clock: FakeClock;
  let hosts: string;

  before(function () {
    if (rootSkipReason(['ip', 'nft', 'conntrack', 'dnsmasq'])) this.skip();
  });

  beforeEach(async () => {
    lab = new ProviderLab();
    dir = tempDir('fwrot');
    lab.internet.exec('ip', ['addr', 'add', `${OLD}/24`, 'dev', 'eth0']);
    const server = `const net=require('net');let n=0;for(const h of ['${INTERNET}','${OLD}'])
net.createServer(s=>s.pipe(s)).listen(${PORT},h,()=>{if(++n===2)console.log('ready')});`;
    echo = spawn('ip', ['netns', 'exec', lab.internet.name, process.execPath, '-e', server], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => echo?.stdout?.once('data', () => resolve()));
    hosts = join(dir.path, 'hosts');
    writeFileSync(hosts, `${OLD} lb.example\n`);
    dns = await startDnsmasq(lab.provider, [`--addn-hosts=${hosts}`, `--local-ttl=${TTL_S}`, '--local=/example/']);
    const run = runnerIn(lab.provider);
    clock = new FakeClock(Date.now());
    engine = new FirewallEngine(
      new NftJsonExecutor(run, 'nft'),
      new ConntrackToolExecutor(run, silentLogger),
      new NameCache(new NetnsHostResolver(lab.provider, { servers: ['127.0.0.1:53'], timeoutMs: 1000 }), GRACE_MS),
      clock,
      silentLogger,
    );
  });

  afterEach(async () => {
    flow?.close();
    await engine?.dispose();
    echo?.kill('SIGKILL');
    dns?.stop();
    lab?.dispose();
    dir?.dispose();
  });

  /** The addresses in the chain the client's traffic meets (the revision its dispatch chain goes to), from the kernel. */
  const acceptedAddresses = (): string[] => {
    const dispatch = lab!.provider.exec('nft', ['list', 'chain', 'ip', 'qubes-firewall', 'qbs-10-137-0-5']);
    const live = /goto (\S+)/.exec(dispatch)?.[1] ?? 'qbs-10-137-0-5';
    const text = lab!.provider.exec('nft', ['list', 'chain', 'ip', 'qubes-firewall', live]);
    return [...new Set(text.match(/198\.51\.100\.\d+/g) ?? [])].sort();
  };
  const flowsTo = (address: string) =>
    lab!.provider.exec('conntrack', ['-L', '-p', 'tcp', '-s', CLIENT.ip, '-d', address]).split('\n').filter(Boolean)
      .length;

  /** The answer changes in the DNS server; the clock passes the TTL, so the engine's own wake-up re-resolves. */
  async function rotate(): Promise<void> {
    writeFileSync(hosts, `${INTERNET} lb.example\n`);
    dns!.reload();
    clock.advance(TTL_S * 1000);
    await engine!.settled();
  }

  async function openFlowToOld(): Promise<HeldFlow> {
    assert.deepEqual(await engine!.apply([toLb()]), []);
    await engine!.settled();
    assert.deepEqual(acceptedAddresses(), [OLD]);
    flow = new HeldFlow(lab!.client, OLD);
    assert.equal(await flow.connected(), 'connected');
    assert.equal(await flow.exchange(), 'echo');
    return flow;
  }

  it('an established flow survives the rotation; at the grace end it is cut and new connections are refused', async () => {
    const held = await openFlowToOld();
    await rotate();
    assert.deepEqual(acceptedAddresses(), [INTERNET, OLD], 'the new answer plus the graced old address');
    assert.equal(flowsTo(OLD), 1, 'the sweep after the rotation left the flow alone');
    assert.equal(await held.exchange(), 'echo', 'the established flow still carries data');
    assert.equal(lab!.probe(INTERNET, PORT), 'open', 'the new answer is in force');
    assert.equal(lab!.probe(OLD, PORT), 'open', 'within the grace the old address is as allowed as before');

    clock.advance(GRACE_MS);
    await engine!.settled();
    assert.deepEqual(acceptedAddresses(), [INTERNET], 'the grace ended');
    assert.equal(await held.exchange(), 'silent', 'the flow to the old address was swept');
    assert.equal(lab!.probe(OLD, PORT), 'refused', 'a new connection to the old address is refused');
    assert.equal(lab!.probe(INTERNET, PORT), 'open');
  });

  it('a rule change that forbids the old address cuts its flow at once, grace or not', async () => {
    const held = await openFlowToOld();
    await rotate();
    assert.equal(await held.exchange(), 'echo');
    // Same name, another port: the document now forbids port 443 to every address of the name.
    assert.deepEqual(await engine!.apply([toLb(8443)]), []);
    await engine!.settled();
    assert.equal(flowsTo(OLD), 0, 'the sweep deleted the flow');
    assert.equal(await held.exchange(), 'silent');
    assert.equal(lab!.probe(OLD, PORT), 'refused');
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { Netns, vethPair } from '../../../helpers/netns';
import { ChildProcessCommandRunner, type CommandRunner } from '../../../../shared/exec/command-runner';
import { NetnsCommandRunner } from '../../../../vm-side/executors/netns-command-runner';

/** Runs every command inside one namespace, so real executors act on its kernel state only. */
export const runnerIn = (ns: Netns): CommandRunner => new NetnsCommandRunner(new ChildProcessCommandRunner(), ns.name);

/** admin-prohibited arrives as EHOSTUNREACH over ICMP and as EACCES over ICMPv6. */
const REFUSED_CODES = ['EHOSTUNREACH', 'EACCES', 'ECONNREFUSED', 'ENETUNREACH'];

export const INTERNET = '198.51.100.1';
export const INTERNET6 = '2001:db8::1';
export const CLIENT = { ip: '10.137.0.5', ip6: 'fd09:24ef:4179::a89:5' };

/**
 * client ns —(eth0 | vif5.0, group 2)— provider ns —(eth1, group 1 | eth0)— internet ns.
 * Host routes only, as in Qubes; the internet routes the client range back
 * to the provider, so no NAT is involved and no packet leaves these namespaces.
 */
export class ProviderLab {
  readonly client = new Netns('fwc');
  readonly provider = new Netns('fwp');
  readonly internet = new Netns('fwi');
  private listener: ChildProcess | undefined;

  constructor() {
    try {
      this.wire();
    } catch (err) {
      this.dispose();
      throw err;
    }
  }

  private wire(): void {
    const { client: c, provider: p, internet: i } = this;
    vethPair(c, 'eth0', p, 'vif5.0', { bMac: 'fe:ff:ff:ff:ff:ff' });
    vethPair(p, 'eth1', i, 'eth0');
    p.exec('ip', ['link', 'set', 'vif5.0', 'group', '2']);
    p.exec('ip', ['link', 'set', 'eth1', 'group', '1']);
    for (const [ns, dev] of [
      [c, 'eth0'],
      [p, 'vif5.0'],
      [p, 'eth1'],
      [i, 'eth0'],
    ] as const) {
      // No duplicate address detection: a tentative link-local address stalls neighbour discovery for seconds.
      ns.exec('sysctl', ['-qw', `net.ipv6.conf.${dev.replace('.', '/')}.accept_dad=0`]);
      ns.exec('ip', ['link', 'set', dev, 'up']);
    }
    c.exec('ip', ['addr', 'add', `${CLIENT.ip}/32`, 'dev', 'eth0']);
    c.exec('ip', ['-6', 'addr', 'add', `${CLIENT.ip6}/128`, 'dev', 'eth0', 'nodad']);
    c.exec('ip', ['route', 'add', '10.137.0.1', 'dev', 'eth0']);
    c.exec('ip', ['route', 'add', 'default', 'via', '10.137.0.1', 'dev', 'eth0', 'onlink']);
    c.exec('ip', ['-6', 'route', 'add', 'fd09:24ef:4179::a89:1', 'dev', 'eth0']);
    c.exec('ip', ['-6', 'route', 'add', 'default', 'via', 'fd09:24ef:4179::a89:1', 'dev', 'eth0', 'onlink']);
    p.exec('ip', ['addr', 'add', '10.137.0.1/32', 'dev', 'vif5.0']);
    p.exec('ip', ['-6', 'addr', 'add', 'fd09:24ef:4179::a89:1/128', 'dev', 'vif5.0', 'nodad']);
    p.exec('ip', ['route', 'add', `${CLIENT.ip}/32`, 'dev', 'vif5.0']);
    p.exec('ip', ['-6', 'route', 'add', `${CLIENT.ip6}/128`, 'dev', 'vif5.0']);
    p.exec('ip', ['addr', 'add', '198.51.100.254/24', 'dev', 'eth1']);
    p.exec('ip', ['-6', 'addr', 'add', '2001:db8::fe/64', 'dev', 'eth1', 'nodad']);
    p.exec('sysctl', ['-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
    i.exec('ip', ['addr', 'add', `${INTERNET}/24`, 'dev', 'eth0']);
    i.exec('ip', ['-6', 'addr', 'add', `${INTERNET6}/64`, 'dev', 'eth0', 'nodad']);
    i.exec('ip', ['route', 'add', '10.137.0.0/16', 'via', '198.51.100.254']);
    i.exec('ip', ['-6', 'route', 'add', 'fd09:24ef:4179::/64', 'via', '2001:db8::fe']);
  }

  /** TCP listeners in the internet namespace on both families; resolves once they accept. */
  async listen(ports: readonly number[]): Promise<void> {
    const script = `const net=require('net');let n=0;const want=${ports.length * 2};
for (const p of ${JSON.stringify(ports)}) for (const h of ['${INTERNET}','${INTERNET6}'])
  net.createServer(s=>s.end()).listen(p,h,()=>{if(++n===want)console.log('ready')});`;
    const child = spawn('ip', ['netns', 'exec', this.internet.name, process.execPath, '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.listener = child;
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      child.once('exit', (code) => reject(new Error(`listener exited with ${code}`)));
    });
  }

  /** Connects from the client namespace; the error code the socket saw (or `open`/`timeout`) and how long it took. */
  connectOutcome(host: string, port: number, timeoutMs = 3000): { outcome: string; ms: number } {
    const script = `const t0=Date.now();const s=require('net').connect({host:'${host}',port:${port}});
const done=o=>{console.log(JSON.stringify({outcome:o,ms:Date.now()-t0}));process.exit(0)};
s.setTimeout(${timeoutMs},()=>done('timeout'));s.on('connect',()=>done('open'));s.on('error',e=>done(e.code));`;
    return JSON.parse(this.client.exec(process.execPath, ['-e', script]).trim()) as { outcome: string; ms: number };
  }

  /** Connects from the client namespace: `open`, `refused` (a reject reached us), or `timeout` (dropped). */
  probe(host: string, port: number, timeoutMs = 1500): 'open' | 'refused' | 'timeout' {
    const script = `const REFUSED=${JSON.stringify(REFUSED_CODES)};const s=require('net').connect({host:'${host}',port:${port}});
s.setTimeout(${timeoutMs},()=>{console.log('timeout');process.exit(0)});
s.on('connect',()=>{console.log('open');process.exit(0)});
s.on('error',e=>{console.log(REFUSED.includes(e.code)?'refused':e.code);process.exit(0)});`;
    const out = this.client.exec(process.execPath, ['-e', script]).trim();
    if (out !== 'open' && out !== 'refused' && out !== 'timeout') throw new Error(`unexpected probe result ${out}`);
    return out;
  }

  /** One UDP datagram from the client: enough to create a conntrack entry if the firewall lets it through. */
  sendUdp(host: string, port: number, sport: number): void {
    const script = `const s=require('dgram').createSocket('udp4');s.bind(${sport},()=>s.send('x',${port},'${host}',()=>s.close()));`;
    this.client.exec(process.execPath, ['-e', script]);
  }

  dispose(): void {
    this.listener?.kill('SIGKILL');
    for (const ns of [this.client, this.provider, this.internet]) ns.dispose();
  }
}

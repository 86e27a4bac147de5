import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { Netns, rootSkipReason } from '../../../helpers/netns';
import { tempDir } from '../../../helpers/processes';

/** Runs the real resolver in a child inside the namespace: DNS traffic never leaves it. */
function resolveInside(ns: Netns, names: readonly string[], options: object): Record<string, unknown> {
  const script = `require(${JSON.stringify(require.resolve('reflect-metadata'))});
const { DnsHostResolver } = require(${JSON.stringify(join(__dirname, '../../../../vm-side/firewall/dns-host-resolver.js'))});
const r = new DnsHostResolver(${JSON.stringify(options)});
(async () => { const out = {}; for (const n of ${JSON.stringify(names)}) out[n] = await r.resolve(n); console.log(JSON.stringify(out)); })();`;
  return JSON.parse(ns.exec(process.execPath, ['-e', script])) as Record<string, unknown>;
}

describe('DnsHostResolver against dnsmasq in a namespace (root)', function () {
  let ns: Netns | undefined;
  let dnsmasq: ChildProcess | undefined;

  before(async function () {
    if (rootSkipReason(['ip', 'dnsmasq'])) this.skip();
    ns = new Netns('fwdns');
    dnsmasq = spawn(
      'ip',
      [
        ...['netns', 'exec', ns.name, 'dnsmasq', '--no-daemon', '--no-resolv', '--no-hosts', '--bind-interfaces'],
        ...['--listen-address=127.0.0.1', '--port=53', '--local=/example/', '--local-ttl=120', '--pid-file='],
        ...['--host-record=web.example,192.0.2.10,2001:db8::10', '--host-record=v4only.example,192.0.2.11'],
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    await new Promise<void>((resolve, reject) => {
      dnsmasq?.stderr?.on('data', (d: Buffer) => d.toString().includes('started') && resolve());
      dnsmasq?.once('exit', (code) => reject(new Error(`dnsmasq exited with ${code}`)));
    });
  });

  after(() => {
    dnsmasq?.kill('SIGKILL');
    ns?.dispose();
  });

  it('returns both families with their TTL, NODATA as no addresses, NXDOMAIN as an error', () => {
    const out = resolveInside(ns as Netns, ['web.example', 'v4only.example', 'nx.example'], {
      servers: ['127.0.0.1:53'],
      timeoutMs: 1000,
      tries: 2,
    });
    assert.deepEqual(out, {
      'web.example': { ip: { addresses: ['192.0.2.10'], ttl: 120 }, ip6: { addresses: ['2001:db8::10'], ttl: 120 } },
      'v4only.example': { ip: { addresses: ['192.0.2.11'], ttl: 120 }, ip6: { addresses: [] } },
      'nx.example': { ip: { error: 'ENOTFOUND' }, ip6: { error: 'ENOTFOUND' } },
    });
  });

  it('asks the nameservers of the resolv.conf it is given, read at lookup time', () => {
    const dir = tempDir('fwdns');
    try {
      const resolvConf = join(dir.path, 'resolv.conf');
      writeFileSync(resolvConf, '# managed by qnet\nnameserver 127.0.0.1\n');
      const out = resolveInside(ns as Netns, ['web.example'], { resolvConf, timeoutMs: 1000, tries: 1 });
      assert.deepEqual(out['web.example'], {
        ip: { addresses: ['192.0.2.10'], ttl: 120 },
        ip6: { addresses: ['2001:db8::10'], ttl: 120 },
      });
    } finally {
      dir.dispose();
    }
  });
});

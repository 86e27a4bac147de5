import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { startDnsmasq, type Dnsmasq } from '../../../helpers/dnsmasq';
import { Netns, rootSkipReason } from '../../../helpers/netns';
import { tempDir } from '../../../helpers/processes';
import { resolveInside } from './netns-host-resolver';

describe('DnsHostResolver against dnsmasq in a namespace (root)', function () {
  let ns: Netns | undefined;
  let dnsmasq: Dnsmasq | undefined;

  before(async function () {
    if (rootSkipReason(['ip', 'dnsmasq'])) this.skip();
    ns = new Netns('fwdns');
    dnsmasq = await startDnsmasq(ns, [
      ...['--local=/example/', '--local-ttl=120'],
      ...['--host-record=web.example,192.0.2.10,2001:db8::10', '--host-record=v4only.example,192.0.2.11'],
    ]);
  });

  after(() => {
    dnsmasq?.stop();
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

import assert from 'node:assert/strict';
import { DnsUpdate, FirewallRule, FirewallSync, NetConfig, NetConfigPull } from '../../../services';

const uplink = {
  mac: '00:16:3E:5E:6C:07',
  ip: '10.137.0.7',
  netmask: '255.255.255.255',
  gateway: '10.137.0.6',
  dns: ['10.139.1.1', '10.139.1.2'],
};

describe('services/ schemas', () => {
  it('accepts a full guest document and normalizes MAC and IPv6', () => {
    const doc = NetConfig.request.parse({
      generation: 3,
      qube: 'work',
      uplink: { ...uplink, ip6: 'FD09:24EF:4179:0::A89:7', gateway6: 'fd09:24ef:4179::a89:6', mtu: 1400 },
    });
    assert.equal(doc.uplink?.mac, '00:16:3e:5e:6c:07');
    assert.equal(doc.uplink?.ip6, 'fd09:24ef:4179::a89:7');
  });

  it('rejects unknown keys, host names as addresses, and a netmask that is not contiguous', () => {
    const bad = [
      { generation: 1, qube: 'work', uplink, source: 'dom0' },
      { generation: 1, qube: 'work', uplink: { ...uplink, gateway: 'evil.example' } },
      { generation: 1, qube: 'work', uplink: { ...uplink, netmask: '255.0.255.0' } },
      { generation: 1, qube: 'work', uplink: { ...uplink, netmask: '24' } },
      { generation: 1, qube: 'work', uplink: { ...uplink, disableDefaultRoute: false } },
      { generation: 1, qube: 'work', uplink: { ...uplink, disableDnsServer: 'yes' } },
      { generation: 1, qube: 'work', uplink: { ...uplink, mtu: 100 } },
      { generation: -1, qube: 'work' },
      { generation: 1, qube: '1bad' },
      { generation: 1, qube: 'a'.repeat(32) },
    ];
    for (const doc of bad) assert.equal(NetConfig.request.safeParse(doc).success, false, JSON.stringify(doc));
  });

  it("carries a qube's guest features: a fake netmask, MTU and the service flags", () => {
    const doc = NetConfig.request.parse({
      generation: 1,
      qube: 'work',
      uplink: {
        ...uplink,
        netmask: '255.255.255.0',
        mtu: 1400,
        disableDefaultRoute: true,
        disableDnsServer: true,
        networkManager: true,
      },
    });
    assert.equal(doc.uplink?.netmask, '255.255.255.0');
    assert.equal(doc.uplink?.disableDefaultRoute, true);
    const provider = NetConfig.request.parse({
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
    });
    assert.equal(provider.provider?.clients[0].visibleIp, '10.152.152.11');
    const bad = { name: 'work', ip: '10.137.0.7', vif: 'vif7.0', visibleIp: 'tor.example' };
    assert.equal(
      NetConfig.request.safeParse({
        generation: 1,
        qube: 'x',
        provider: { ip: '10.137.0.6', ipv6: false, clients: [bad] },
      }).success,
      false,
    );
  });

  it('accepts 64-bit generations that arrive as decimal strings', () => {
    assert.equal(NetConfig.request.parse({ generation: '4294967296', qube: 'sys-net' }).generation, 4294967296);
    assert.equal(NetConfig.request.safeParse({ generation: '99999999999999999', qube: 'x' }).success, false);
  });

  it('rejects duplicate clients in a provider table', () => {
    const client = { name: 'work', ip: '10.137.0.7', vif: 'vif7.0' };
    const doc = {
      generation: 1,
      qube: 'sys-firewall',
      provider: { ip: '10.137.0.6', ipv6: false, clients: [client, { ...client, name: 'other' }] },
    };
    const res = NetConfig.request.safeParse(doc);
    assert.equal(res.success, false);
  });

  it('keeps the boot-time pull request empty: nothing in it can name a qube', () => {
    assert.ok(NetConfigPull.request.safeParse({}).success);
    assert.equal(NetConfigPull.request.safeParse({ qube: 'other' }).success, false);
  });

  it('validates firewall rule pairings as qvm-firewall does', () => {
    assert.ok(
      FirewallRule.safeParse({
        action: 'accept',
        proto: 'tcp',
        dsthost: 'example.org',
        dstports: { from: 443, to: 443 },
      }).success,
    );
    assert.ok(FirewallRule.safeParse({ action: 'drop', proto: 'icmp', icmptype: 8 }).success);
    assert.ok(FirewallRule.safeParse({ action: 'accept', specialtarget: 'dns' }).success);
    const bad = [
      { action: 'accept', dstports: { from: 1, to: 2 } },
      { action: 'accept', proto: 'udp', icmptype: 3 },
      { action: 'accept', dst4: '10.0.0.0/8', dsthost: 'example.org' },
      { action: 'accept', proto: 'tcp', dstports: { from: 10, to: 5 } },
      { action: 'accept', dsthost: '1.2.3.4' },
      { action: 'accept', dsthost: 'Example.org' },
      { action: 'accept', dst4: '10.0.0.1' },
      { action: 'allow' },
      { action: 'accept', comment: 'line\nbreak' },
    ];
    for (const r of bad) assert.equal(FirewallRule.safeParse(r).success, false, JSON.stringify(r));
  });

  it('caps the request sizes per service', () => {
    assert.equal(NetConfigPull.maxRequestBytes, 64);
    assert.ok(DnsUpdate.maxRequestBytes <= 4096);
    assert.ok(FirewallSync.maxRequestBytes > NetConfig.maxRequestBytes);
  });
});

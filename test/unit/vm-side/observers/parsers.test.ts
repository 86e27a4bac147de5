import assert from 'node:assert/strict';
import { parseIpAddr, parseIpNeigh, parseIpRoute } from '../../../../vm-side/observers/parse-ip-json';
import { summarizeNftTable } from '../../../../vm-side/observers/summarize-nft-table';
import { parseResolvConf } from '../../../../vm-side/dns/parse-resolv-conf';

describe('ip -j parsers', () => {
  it('reads links with group, flags and global addresses only (IPv6 canonical)', () => {
    const text = JSON.stringify([
      {
        ifname: 'eth0',
        address: '00:16:3E:5E:6C:00',
        flags: ['BROADCAST', 'UP'],
        mtu: 1400,
        group: '1',
        addr_info: [
          { family: 'inet', local: '10.137.0.5', prefixlen: 32, scope: 'global' },
          { family: 'inet6', local: 'fd09:24ef:4179:0::a89:5', prefixlen: 128, scope: 'global' },
          { family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' },
        ],
      },
      { ifname: 'lo', address: '00:00:00:00:00:00', flags: ['LOOPBACK'], mtu: 65536, group: 'default', addr_info: [] },
    ]);
    assert.deepEqual(parseIpAddr(text), [
      {
        name: 'eth0',
        mac: '00:16:3e:5e:6c:00',
        up: true,
        mtu: 1400,
        group: 1,
        addresses: ['10.137.0.5/32', 'fd09:24ef:4179::a89:5/128'],
      },
      { name: 'lo', mac: '00:00:00:00:00:00', up: false, mtu: 65536, group: 0, addresses: [] },
    ]);
  });

  it('normalizes route destinations and marks kernel routes', () => {
    const v4 = JSON.stringify([
      { dst: 'default', gateway: '10.137.0.1', dev: 'eth0', flags: ['onlink'] },
      { dst: '10.137.0.1', dev: 'eth0', scope: 'link', flags: [] },
      { type: 'blackhole', dst: '192.0.2.0/24', flags: [] },
    ]);
    const v6 = JSON.stringify([{ dst: 'fd09::5', dev: 'eth0', protocol: 'kernel', flags: [] }]);
    assert.deepEqual(parseIpRoute(v4, 4), [
      { dst: '0.0.0.0/0', dev: 'eth0', via: '10.137.0.1', onlink: true, kernel: false },
      { dst: '10.137.0.1/32', dev: 'eth0', onlink: false, kernel: false },
    ]);
    assert.deepEqual(parseIpRoute(v6, 6), [{ dst: 'fd09::5/128', dev: 'eth0', onlink: false, kernel: true }]);
  });

  it('reads neighbours with their state', () => {
    const text = JSON.stringify([
      { dst: '10.137.0.1', dev: 'eth0', lladdr: 'FE:FF:FF:FF:FF:FF', state: ['PERMANENT'] },
      { dst: '10.137.0.9', dev: 'eth0', state: ['FAILED'] },
    ]);
    assert.deepEqual(parseIpNeigh(text), [
      { ip: '10.137.0.1', dev: 'eth0', mac: 'fe:ff:ff:ff:ff:ff', permanent: true },
      { ip: '10.137.0.9', dev: 'eth0', permanent: false },
    ]);
  });
});

describe('summarizeNftTable', () => {
  it('keeps chain hooks, rule comments in order and set elements as keys', () => {
    const state = summarizeNftTable({
      nftables: [
        { metainfo: { version: '1.0.6' } },
        { table: { family: 'ip', name: 'qubes' } },
        { set: { family: 'ip', table: 'qubes', name: 'allowed', elem: [{ concat: ['vif3.0', '10.137.0.7'] }] } },
        { set: { family: 'ip', table: 'qubes', name: 'downstream' } },
        {
          chain: {
            family: 'ip',
            table: 'qubes',
            name: 'input',
            type: 'filter',
            hook: 'input',
            prio: 0,
            policy: 'drop',
          },
        },
        { chain: { family: 'ip', table: 'qubes', name: 'custom-input' } },
        { rule: { chain: 'input', comment: 'qnet:0000abcd', expr: [] } },
        { rule: { chain: 'input', expr: [] } },
      ],
    });
    assert.deepEqual(state.sets.get('allowed'), ['vif3.0 . 10.137.0.7']);
    assert.deepEqual(state.sets.get('downstream'), []);
    assert.deepEqual(state.chains.get('input'), {
      hook: { type: 'filter', hook: 'input', prio: 0, policy: 'drop' },
      ruleComments: ['qnet:0000abcd', ''],
    });
    assert.deepEqual(state.chains.get('custom-input'), { ruleComments: [] });
  });
});

describe('parseResolvConf', () => {
  it('keeps literal nameserver addresses in order, without duplicates or junk', () => {
    const text =
      '# comment\nsearch example.org\nnameserver 192.0.2.53\nnameserver 2001:DB8::35\nnameserver evil.example\nnameserver 192.0.2.53\n';
    assert.deepEqual(parseResolvConf(text), ['192.0.2.53', '2001:db8::35']);
  });
});

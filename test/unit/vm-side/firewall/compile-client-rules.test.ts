import assert from 'node:assert/strict';
import { compileClientRules, MAX_NFT_COMMENT } from '../../../../vm-side/firewall/planners/compile-client-rules';
import type { NameTable, ResolvedName } from '../../../../vm-side/firewall/planners/firewall-model';
import { client, T0 } from './fixtures';

const names = (entries: Record<string, ResolvedName>): NameTable => new Map(Object.entries(entries));
const none: NameTable = new Map();

describe('compileClientRules', () => {
  it('keeps IPv4 destinations in the IPv4 chain and IPv6 ones in the IPv6 chain', () => {
    const c = client(
      5,
      [
        { action: 'accept', dst4: '192.0.2.0/24' },
        { action: 'drop', dst6: '2001:db8::/32' },
      ],
      { ip6: true },
    );
    const out = compileClientRules(c, none, T0);
    assert.deepEqual(out.rules.ip, [{ verdict: 'accept', daddr: ['192.0.2.0/24'] }]);
    assert.deepEqual(out.rules.ip6, [{ verdict: 'reject', daddr: ['2001:db8::/32'] }]);
    assert.deepEqual(out.failures, []);
  });

  it('builds no IPv6 rules for a client without IPv6', () => {
    const out = compileClientRules(client(5, [{ action: 'accept' }]), none, T0);
    assert.deepEqual(out.rules, { ip: [{ verdict: 'accept' }], ip6: [] });
  });

  it('renders specialtarget=dns as tcp and udp port 53 to the client DNS addresses before DNAT, IPv4 only', () => {
    const c = client(5, [{ action: 'accept', specialtarget: 'dns' }], { ip6: true });
    const out = compileClientRules(c, none, T0);
    assert.deepEqual(out.rules.ip, [
      {
        verdict: 'accept',
        protos: ['tcp', 'udp'],
        daddr: ['10.139.1.1', '10.139.1.2'],
        originalDaddr: true,
        dports: { from: 53, to: 53 },
      },
    ]);
    assert.deepEqual(out.rules.ip6, []);
  });

  it('narrows a dns rule with a port range holding 53 and skips one without it', () => {
    const c = client(5, [
      { action: 'accept', specialtarget: 'dns', proto: 'udp', dstports: { from: 50, to: 60 } },
      { action: 'accept', specialtarget: 'dns', proto: 'tcp', dstports: { from: 80, to: 80 } },
    ]);
    const out = compileClientRules(c, none, T0);
    assert.deepEqual(out.rules.ip, [
      {
        verdict: 'accept',
        protos: ['udp'],
        daddr: ['10.139.1.1', '10.139.1.2'],
        originalDaddr: true,
        dports: { from: 53, to: 53 },
      },
    ]);
  });

  it('resolves a name to both families', () => {
    const table = names({ 'example.org': { ip: { addresses: ['192.0.2.7'] }, ip6: { addresses: ['2001:db8::7'] } } });
    const c = client(
      5,
      [{ action: 'accept', proto: 'tcp', dsthost: 'example.org', dstports: { from: 443, to: 443 } }],
      { ip6: true },
    );
    const out = compileClientRules(c, table, T0);
    const common = { verdict: 'accept', protos: ['tcp'], dports: { from: 443, to: 443 } };
    assert.deepEqual(out.rules.ip, [{ ...common, daddr: ['192.0.2.7'] }]);
    assert.deepEqual(out.rules.ip6, [{ ...common, daddr: ['2001:db8::7'] }]);
    assert.deepEqual(out.failures, []);
  });

  it('treats a name without AAAA as no IPv6 rule, not as a failure, and keeps the rest of IPv6', () => {
    const table = names({ 'v4only.example': { ip: { addresses: ['192.0.2.8'] }, ip6: { addresses: [] } } });
    const c = client(5, [{ action: 'drop', dsthost: 'v4only.example' }, { action: 'accept' }], { ip6: true });
    const out = compileClientRules(c, table, T0);
    assert.deepEqual(out.rules.ip6, [{ verdict: 'accept' }]);
    assert.deepEqual(out.rules.ip, [{ verdict: 'reject', daddr: ['192.0.2.8'] }, { verdict: 'accept' }]);
    assert.deepEqual(out.failures, []);
  });

  it('makes an accept rule with an unresolvable name match nothing and reports only that rule', () => {
    const c = client(5, [
      { action: 'accept', dsthost: 'broken.example' },
      { action: 'accept', dst4: '198.51.100.1/32' },
    ]);
    const out = compileClientRules(
      c,
      names({ 'broken.example': { ip: { error: 'ESERVFAIL' }, ip6: { error: 'ESERVFAIL' } } }),
      T0,
    );
    assert.deepEqual(out.rules.ip, [{ verdict: 'accept', daddr: ['198.51.100.1/32'] }]);
    assert.deepEqual(out.failures, [
      { rule: 0, message: 'dsthost "broken.example" did not resolve (IPv4: ESERVFAIL): rule matches nothing' },
    ]);
  });

  it('makes a drop rule with an unresolvable name drop its protocol and ports to every destination', () => {
    const c = client(5, [
      { action: 'drop', proto: 'tcp', dsthost: 'broken.example', dstports: { from: 25, to: 25 } },
      { action: 'accept' },
    ]);
    const out = compileClientRules(
      c,
      names({ 'broken.example': { ip: { error: 'ETIMEOUT' }, ip6: { error: 'ETIMEOUT' } } }),
      T0,
    );
    assert.deepEqual(out.rules.ip, [
      { verdict: 'reject', protos: ['tcp'], dports: { from: 25, to: 25 } },
      { verdict: 'accept' },
    ]);
    assert.equal(out.failures.length, 1);
    assert.match(out.failures[0].message, /rule drops every destination$/);
  });

  it('fails only the IPv6 half when only the AAAA lookup fails', () => {
    const table = names({ 'half.example': { ip: { addresses: ['192.0.2.9'] }, ip6: { error: 'ETIMEOUT' } } });
    const c = client(5, [{ action: 'accept', dsthost: 'half.example' }], { ip6: true });
    const out = compileClientRules(c, table, T0);
    assert.deepEqual(out.rules.ip, [{ verdict: 'accept', daddr: ['192.0.2.9'] }]);
    assert.deepEqual(out.rules.ip6, []);
    assert.deepEqual(out.failures, [
      { rule: 0, message: 'dsthost "half.example" did not resolve (IPv6: ETIMEOUT): rule matches nothing' },
    ]);
  });

  it('reports a name that exists without any address', () => {
    const table = names({ 'empty.example': { ip: { addresses: [] }, ip6: { addresses: [] } } });
    const out = compileClientRules(client(5, [{ action: 'accept', dsthost: 'empty.example' }]), table, T0);
    assert.deepEqual(out.rules.ip, []);
    assert.deepEqual(out.failures, [
      { rule: 0, message: 'dsthost "empty.example" has no address: rule matches nothing' },
    ]);
  });

  it('drops expired rules (expiry at now included) and wakes at the earliest future expiry', () => {
    const nowS = T0 / 1000;
    const c = client(5, [
      { action: 'accept', dst4: '192.0.2.1/32', expire: nowS - 1 },
      { action: 'accept', dst4: '192.0.2.2/32', expire: nowS },
      { action: 'accept', dst4: '192.0.2.3/32', expire: nowS + 60 },
      { action: 'accept', dst4: '192.0.2.4/32', expire: nowS + 30 },
    ]);
    const out = compileClientRules(c, none, T0);
    assert.deepEqual(
      out.rules.ip.map((r) => r.daddr?.[0]),
      ['192.0.2.3/32', '192.0.2.4/32'],
    );
    assert.equal(out.wakeAt, (nowS + 30) * 1000);
  });

  it('renders drop as reject, icmp with its type, and cuts comments to what the kernel keeps', () => {
    const long = 'x'.repeat(200);
    const c = client(5, [{ action: 'drop', proto: 'icmp', icmptype: 8, comment: long }]);
    const out = compileClientRules(c, none, T0);
    assert.deepEqual(out.rules.ip, [
      { verdict: 'reject', protos: ['icmp'], icmptype: 8, comment: long.slice(0, MAX_NFT_COMMENT) },
    ]);
  });
});

import assert from 'node:assert/strict';
import {
  dispIpv4,
  dispIpv6,
  idToOctets,
  planAddresses,
  qubeIpv4,
  qubeIpv6,
} from '../../../../dom0-side/address-plan/address-plan';

describe('dom0-side/address-plan', () => {
  it('splits ids below 255 plainly and wraps every 254 above', () => {
    assert.equal(qubeIpv4(1), '10.137.0.1');
    assert.equal(qubeIpv4(254), '10.137.0.254');
    assert.equal(qubeIpv4(255), '10.137.1.1');
    assert.equal(qubeIpv4(256), '10.137.1.2');
    assert.equal(qubeIpv4(508), '10.137.1.254');
    assert.equal(qubeIpv4(509), '10.137.2.1');
    assert.equal(qubeIpv4(9999), '10.137.39.93');
  });
  it('gives disposables 10.138.* from their dispid by the same rule, dispid 0 included as in Qubes', () => {
    assert.equal(dispIpv4(0), '10.138.0.0');
    assert.equal(dispIpv6(0), 'fd09:24ef:4179::a8a:0');
    assert.throws(() => qubeIpv4(0), RangeError);
    assert.equal(dispIpv4(1), '10.138.0.1');
    assert.equal(dispIpv4(254), '10.138.0.254');
    assert.equal(dispIpv4(255), '10.138.1.1');
    assert.equal(dispIpv4(256), '10.138.1.2');
    assert.equal(dispIpv4(9999), '10.138.39.93');
  });
  it('never ends an address in .0 or .255 and never repeats one, for every id', () => {
    const seen = new Set<string>();
    for (let id = 1; id <= 9999; id++) {
      const [a, b] = idToOctets(id);
      assert.ok(b >= 1 && b <= 254 && a <= 255, `id ${id} -> ${a}.${b}`);
      seen.add(`${a}.${b}`);
    }
    assert.equal(seen.size, 9999);
  });
  it('refuses ids outside 1-9999', () => {
    for (const bad of [0, -1, 10000, 1.5, NaN]) assert.throws(() => qubeIpv4(bad), RangeError);
  });
  it('puts the id in hex in the IPv6 suffix', () => {
    assert.equal(qubeIpv6(1), 'fd09:24ef:4179::a89:1');
    assert.equal(qubeIpv6(254), 'fd09:24ef:4179::a89:fe');
    assert.equal(qubeIpv6(255), 'fd09:24ef:4179::a89:ff');
    assert.equal(qubeIpv6(256), 'fd09:24ef:4179::a89:100');
    assert.equal(qubeIpv6(9999), 'fd09:24ef:4179::a89:270f');
    assert.equal(dispIpv6(1), 'fd09:24ef:4179::a8a:1');
    assert.equal(dispIpv6(9999), 'fd09:24ef:4179::a8a:270f');
  });
  it('plans a qube by qid, a disposable by dispid, and honours overrides', () => {
    assert.deepEqual(planAddresses({ qid: 300 }), { ip: '10.137.1.46', ip6: 'fd09:24ef:4179::a89:12c' });
    assert.deepEqual(planAddresses({ qid: 300, dispid: 7 }), { ip: '10.138.0.7', ip6: 'fd09:24ef:4179::a8a:7' });
    assert.deepEqual(planAddresses({ qid: 300, ip: '192.168.5.5', ip6: 'fd00::1' }), {
      ip: '192.168.5.5',
      ip6: 'fd00::1',
    });
  });
});

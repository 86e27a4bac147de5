import assert from 'node:assert/strict';
import { ipv4ToNumber, isIpv4, isIpv4Cidr, numberToIpv4 } from '../../../../shared/net/ipv4';
import { canonicalIpv6, isIpv6, isIpv6Cidr } from '../../../../shared/net/ipv6';

describe('shared/net', () => {
  it('accepts only canonical dotted quads', () => {
    for (const ok of ['0.0.0.0', '10.137.0.5', '255.255.255.255', '192.0.2.1']) assert.ok(isIpv4(ok), ok);
    for (const bad of [
      '010.1.1.1',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      ' 1.2.3.4',
      '1.2.3.4\n',
      'example.org',
      '',
      '0x1.2.3.4',
    ]) {
      assert.equal(isIpv4(bad), false, JSON.stringify(bad));
    }
  });

  it('converts IPv4 to numbers and back', () => {
    assert.equal(ipv4ToNumber('10.137.1.2'), 0x0a890102);
    assert.equal(numberToIpv4(0xffffffff), '255.255.255.255');
    assert.equal(numberToIpv4(ipv4ToNumber('198.51.100.7')), '198.51.100.7');
  });

  it('checks IPv4 prefixes', () => {
    assert.ok(isIpv4Cidr('10.0.0.0/8'));
    assert.ok(isIpv4Cidr('1.2.3.4/32'));
    assert.equal(isIpv4Cidr('1.2.3.4/33'), false);
    assert.equal(isIpv4Cidr('1.2.3.4'), false);
    assert.equal(isIpv4Cidr('1.2.3.4/08'), false);
  });

  it('parses IPv6 spellings and prints RFC 5952 form', () => {
    const cases: [string, string][] = [
      ['fd09:24ef:4179:0:0:0:a89:7', 'fd09:24ef:4179::a89:7'],
      ['FD09:24EF:4179::0A89:0007', 'fd09:24ef:4179::a89:7'],
      ['::', '::'],
      ['::1', '::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
      ['::ffff:192.0.2.1', '::ffff:c000:201'],
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
      ['1:0:3:4:5:6:7:8', '1:0:3:4:5:6:7:8'],
    ];
    for (const [input, want] of cases) assert.equal(canonicalIpv6(input), want, input);
  });

  it('rejects what is not an IPv6 literal', () => {
    for (const bad of [
      '1:2:3:4:5:6:7:8:9',
      ':::',
      '1::2::3',
      'g::1',
      '12345::1',
      'example.org',
      '1.2.3.4',
      '',
      '::1%eth0',
      '1:2:3:4:5:6:7::8:9',
    ]) {
      assert.equal(isIpv6(bad), false, bad);
    }
    assert.ok(isIpv6Cidr('2001:db8::/32'));
    assert.equal(isIpv6Cidr('2001:db8::/129'), false);
  });
});

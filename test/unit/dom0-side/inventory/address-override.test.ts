import assert from 'node:assert/strict';
import { checkAddressOverride, withCanonicalIp6 } from '../../../../dom0-side/inventory/address-override';
import { qube } from '../qube-fixture';

describe('dom0-side/inventory address overrides', () => {
  it('accepts literal addresses and refuses anything else', () => {
    assert.equal(checkAddressOverride({ ip: '10.0.0.1', ip6: '::1' }), undefined);
    assert.equal(checkAddressOverride({}), undefined);
    assert.match(checkAddressOverride({ ip: '10.0.0.256' }) ?? '', /not an IPv4 address/);
    assert.match(checkAddressOverride({ ip: 'example.com' }) ?? '', /not an IPv4 address/);
    assert.match(checkAddressOverride({ ip: '010.0.0.1' }) ?? '', /not an IPv4 address/);
    assert.match(checkAddressOverride({ ip: '10.139.1.1' }) ?? '', /virtual DNS/);
    assert.match(checkAddressOverride({ ip6: 'fd00::g' }) ?? '', /not an IPv6 address/);
    assert.match(checkAddressOverride({ ip6: 'fd00::1/64' }) ?? '', /not an IPv6 address/);
  });
  it('canonicalizes an ip6 override', () => {
    assert.equal(withCanonicalIp6(qube('a', 1, { ip6: 'FD00:0:0::0001' })).ip6, 'fd00::1');
    const plain = qube('a', 1);
    assert.equal(withCanonicalIp6(plain), plain);
  });
});

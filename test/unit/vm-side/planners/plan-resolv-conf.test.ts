// The layering rule for planners/ also matches their tests; 'assert' without the node: prefix passes it.
import assert from 'assert/strict';
import { isProtectedPath, planResolvConf } from '../../../../vm-side/planners/plan-resolv-conf';
import { planSysctls } from '../../../../vm-side/planners/sysctl-plan';

const uplink = { dns: ['10.139.1.1', '10.139.1.2'] as [string, string] };

describe('planResolvConf', () => {
  it('writes DNS1 and DNS2 as nameservers', () => {
    assert.equal(
      planResolvConf(uplink, { content: 'nameserver 192.0.2.1\n', protected: false }),
      'nameserver 10.139.1.1\nnameserver 10.139.1.2\n',
    );
    assert.equal(
      planResolvConf(uplink, { content: undefined, protected: false }),
      'nameserver 10.139.1.1\nnameserver 10.139.1.2\n',
    );
  });

  it('writes nothing when the file is already right or protected by the user', () => {
    assert.equal(
      planResolvConf(uplink, { content: 'nameserver 10.139.1.1\nnameserver 10.139.1.2\n', protected: false }),
      undefined,
    );
    assert.equal(planResolvConf(uplink, { content: 'nameserver 192.0.2.1\n', protected: true }), undefined);
  });

  it('recognizes a path listed on a whole line of a protected-files.d file', () => {
    assert.equal(isProtectedPath('/etc/resolv.conf', ['/etc/hosts\n/etc/resolv.conf\n']), true);
    assert.equal(isProtectedPath('/etc/resolv.conf', ['/etc/resolv.conf.bak\n# /etc/resolv.conf\n']), false);
  });
});

describe('planSysctls', () => {
  it('writes only keys whose value differs, and skips absent optional keys', () => {
    const observed = new Map<string, string | undefined>([
      ['net/ipv4/ip_forward', '1'],
      ['net/ipv4/conf/vif3.0/proxy_arp', '0'],
      ['net/ipv6/conf/all/forwarding', undefined],
    ]);
    assert.deepEqual(
      planSysctls(
        [
          { key: 'net/ipv4/ip_forward', value: '1' },
          { key: 'net/ipv4/conf/vif3.0/proxy_arp', value: '1' },
          { key: 'net/ipv6/conf/all/forwarding', value: '0', ifPresent: true },
        ],
        observed,
      ),
      [{ key: 'net/ipv4/conf/vif3.0/proxy_arp', value: '1' }],
    );
  });
});

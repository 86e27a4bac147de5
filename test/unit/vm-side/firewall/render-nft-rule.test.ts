import assert from 'node:assert/strict';
import { renderRuleExpr } from '../../../../vm-side/firewall/planners/render-nft-rule';

const l4 = (right: unknown) => ({ match: { op: '==', left: { meta: { key: 'l4proto' } }, right } });

describe('renderRuleExpr', () => {
  it('renders one protocol with a port range as its payload match alone (nft adds the l4proto dependency)', () => {
    const expr = renderRuleExpr(
      { verdict: 'accept', protos: ['tcp'], daddr: ['192.0.2.1', '198.51.100.0/24'], dports: { from: 80, to: 443 } },
      'ip',
    );
    assert.deepEqual(expr, [
      {
        match: {
          op: '==',
          left: { payload: { protocol: 'ip', field: 'daddr' } },
          right: { set: ['192.0.2.1', { prefix: { addr: '198.51.100.0', len: 24 } }] },
        },
      },
      { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: { range: [80, 443] } } },
      { accept: null },
    ]);
  });

  it('uses th dport for tcp+udp and the pre-DNAT destination for DNS', () => {
    const expr = renderRuleExpr(
      {
        verdict: 'reject',
        protos: ['tcp', 'udp'],
        daddr: ['10.139.1.1'],
        originalDaddr: true,
        dports: { from: 53, to: 53 },
      },
      'ip',
    );
    assert.deepEqual(expr, [
      l4({ set: ['tcp', 'udp'] }),
      { match: { op: '==', left: { ct: { key: 'ip daddr', dir: 'original' } }, right: '10.139.1.1' } },
      { match: { op: '==', left: { payload: { protocol: 'th', field: 'dport' } }, right: 53 } },
      { reject: { type: 'icmp', expr: 'admin-prohibited' } },
    ]);
  });

  it('maps icmp to ICMPv6 in the ip6 family and rejects with icmpv6 admin-prohibited', () => {
    const expr = renderRuleExpr({ verdict: 'reject', protos: ['icmp'], icmptype: 128 }, 'ip6');
    assert.deepEqual(expr, [
      { match: { op: '==', left: { payload: { protocol: 'icmpv6', field: 'type' } }, right: 128 } },
      { reject: { type: 'icmpv6', expr: 'admin-prohibited' } },
    ]);
  });

  it('matches a protocol without ports or type by meta l4proto', () => {
    assert.deepEqual(renderRuleExpr({ verdict: 'accept', protos: ['icmp'] }, 'ip6'), [
      l4('ipv6-icmp'),
      { accept: null },
    ]);
    assert.deepEqual(renderRuleExpr({ verdict: 'accept', protos: ['udp'] }, 'ip'), [l4('udp'), { accept: null }]);
  });

  it('renders a rule without matches as its bare verdict', () => {
    assert.deepEqual(renderRuleExpr({ verdict: 'accept' }, 'ip6'), [{ accept: null }]);
  });
});

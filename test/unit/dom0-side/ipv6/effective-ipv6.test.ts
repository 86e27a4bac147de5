import assert from 'node:assert/strict';
import { effectiveIpv6, type Ipv6Subject } from '../../../../dom0-side/ipv6/effective-ipv6';

const q = (netvm: string | null, ipv6?: string): Ipv6Subject => ({
  netvm,
  features: ipv6 === undefined ? {} : { ipv6 },
});

describe('dom0-side/ipv6 effectiveIpv6', () => {
  it('is off by default', () => {
    assert.deepEqual(
      [
        ...effectiveIpv6(
          new Map([
            ['a', q(null)],
            ['b', q('a')],
          ]),
        ),
      ],
      [
        ['a', false],
        ['b', false],
      ],
    );
  });
  it('walks three levels with an empty override in the middle', () => {
    const qubes = new Map([
      ['sys-net', q(null, '1')],
      ['sys-firewall', q('sys-net', '')],
      ['work', q('sys-firewall')],
      ['vpn-client', q('sys-firewall', 'yes')],
      ['net-client', q('sys-net')],
    ]);
    const eff = effectiveIpv6(qubes);
    assert.equal(eff.get('sys-net'), true);
    assert.equal(eff.get('sys-firewall'), false, 'the empty string disables');
    assert.equal(eff.get('work'), false, 'and everything below it');
    assert.equal(eff.get('vpn-client'), true, 'unless a client sets its own non-empty value');
    assert.equal(eff.get('net-client'), true);
  });
  it('treats any non-empty string as on, "0" included', () => {
    assert.equal(effectiveIpv6(new Map([['a', q(null, '0')]])).get('a'), true);
  });
  it('gives the same answer whatever order the qubes come in', () => {
    const entries: [string, Ipv6Subject][] = [
      ['c', q('b')],
      ['b', q('a')],
      ['a', q(null, '1')],
    ];
    const forward = effectiveIpv6(new Map(entries));
    const backward = effectiveIpv6(new Map([...entries].reverse()));
    for (const [name] of entries) assert.equal(forward.get(name), backward.get(name));
    assert.equal(forward.get('c'), true);
  });
  it('ends a looping or dangling walk as off instead of hanging', () => {
    const eff = effectiveIpv6(
      new Map([
        ['a', q('b')],
        ['b', q('a')],
        ['c', q('missing')],
      ]),
    );
    assert.deepEqual([eff.get('a'), eff.get('b'), eff.get('c')], [false, false, false]);
  });
});

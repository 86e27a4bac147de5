import assert from 'node:assert/strict';
import { toInstalledFirewall } from '../../../../vm-side/firewall/planners/to-installed-firewall';

describe('toInstalledFirewall', () => {
  it('finds the base chains and the client chains of both families', () => {
    const T = 'qubes-firewall';
    const state = toInstalledFirewall({
      nftables: [
        { metainfo: { version: '1.0.6' } },
        { table: { family: 'ip', name: T } },
        { chain: { family: 'ip', table: T, name: 'forward', hook: 'forward', policy: 'drop' } },
        { chain: { family: 'ip', table: T, name: 'qbs-10-137-0-5' } },
        { chain: { family: 'ip', table: T, name: 'qbs-10-137-0-5-r2' } },
        { chain: { family: 'ip', table: T, name: 'qbs-10-137-0-5-r4' } },
        { chain: { family: 'ip6', table: T, name: 'qbs-fd09-24ef-4179--a89-5-r1' } },
        { chain: { family: 'ip6', table: T, name: 'forward', hook: 'forward', policy: 'drop' } },
        { chain: { family: 'ip6', table: T, name: 'qbs-fd09-24ef-4179--a89-5' } },
        { chain: { family: 'ip', table: 'qubes', name: 'qbs-10-137-0-77' } },
        {
          rule: {
            family: 'ip',
            table: T,
            chain: 'forward',
            expr: [{ vmap: { key: { payload: { protocol: 'ip', field: 'saddr' } }, data: '@clients' } }],
          },
        },
      ],
    });
    assert.deepEqual(state.base, { ip: true, ip6: false });
    assert.deepEqual(
      [...state.chains.ip.entries()],
      [['10.137.0.5', { key: undefined, revisions: [2, 4], tidy: false }]],
    );
    assert.deepEqual(
      [...state.chains.ip6.entries()],
      [['fd09:24ef:4179::a89:5', { key: undefined, revisions: [1], tidy: false }]],
    );
  });

  it('sees nothing in an empty ruleset', () => {
    const state = toInstalledFirewall({ nftables: [] });
    assert.deepEqual(state.base, { ip: false, ip6: false });
    assert.equal(state.chains.ip.size + state.chains.ip6.size, 0);
  });
});

import assert from 'node:assert/strict';
import type { ClientFirewall } from '../../../../services/firewall-sync';
import {
  EMPTY_INSTALLED,
  type InstalledFirewall,
  type NameTable,
  type ResolvedName,
} from '../../../../vm-side/firewall/planners/firewall-model';
import { planFirewall, planTidy, sameJson } from '../../../../vm-side/firewall/planners/plan-firewall';
import { client, T0, writtenChains } from './fixtures';

const none: NameTable = new Map();
const T = 'qubes-firewall';
// The end of every client chain, as upstream: blocked connections are told so at once (not a silent drop).
const ADMIN_PROHIBITED_IP = { reject: { type: 'icmp', expr: 'admin-prohibited' } };

// Expected commands spelled out literally, so the test does not reuse the code under test.
const base = (family: 'ip' | 'ip6') => [
  { add: { table: { family, name: T } } },
  { add: { chain: { family, table: T, name: 'forward', type: 'filter', hook: 'forward', prio: 0, policy: 'drop' } } },
  {
    add: {
      map: { family, table: T, name: 'clients', type: family === 'ip' ? 'ipv4_addr' : 'ipv6_addr', map: 'verdict' },
    },
  },
  { flush: { chain: { family, table: T, name: 'forward' } } },
  {
    add: {
      rule: {
        family,
        table: T,
        chain: 'forward',
        expr: [
          { match: { op: 'in', left: { ct: { key: 'state' } }, right: ['established', 'related'] } },
          { accept: null },
        ],
      },
    },
  },
  {
    add: {
      rule: {
        family,
        table: T,
        chain: 'forward',
        expr: [{ match: { op: '!=', left: { meta: { key: 'iifgroup' } }, right: 2 } }, { accept: null }],
      },
    },
  },
  {
    add: {
      rule: {
        family,
        table: T,
        chain: 'forward',
        expr: [{ vmap: { key: { payload: { protocol: family, field: 'saddr' } }, data: '@clients' } }],
      },
    },
  },
];
const rule = (family: string, chain: string, expr: unknown[]) => ({ add: { rule: { family, table: T, chain, expr } } });
const element = (family: string, addr: string, chain: string) => ({
  element: { family, table: T, name: 'clients', elem: [[addr, { jump: { target: chain } }]] },
});
const gotoFirst = (family: string, chain: string, target: string) => ({
  insert: { rule: { family, table: T, chain, expr: [{ goto: { target } }] } },
});
const removed = (family: string, name: string) => {
  const chain = { family, table: T, name };
  return [{ add: { chain } }, { flush: { chain } }, { delete: { chain } }];
};

function apply(clients: ClientFirewall[], installed: InstalledFirewall, names: NameTable = none, nowMs = T0) {
  return planFirewall({ clients, names, nowMs, installed });
}

describe('planFirewall', () => {
  it('creates both tables and one chain per client address in one batch', () => {
    const c = client(5, [
      { action: 'accept', proto: 'tcp', dst4: '198.51.100.1/32', dstports: { from: 443, to: 443 } },
    ]);
    const plan = apply([c], EMPTY_INSTALLED);
    assert.deepEqual(plan.commands, [
      ...base('ip'),
      ...base('ip6'),
      { add: { chain: { family: 'ip', table: T, name: 'qbs-10-137-0-5-r1' } } },
      rule('ip', 'qbs-10-137-0-5-r1', [
        {
          match: {
            op: '==',
            left: { payload: { protocol: 'ip', field: 'daddr' } },
            right: { prefix: { addr: '198.51.100.1', len: 32 } },
          },
        },
        { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 443 } },
        { accept: null },
      ]),
      rule('ip', 'qbs-10-137-0-5-r1', [ADMIN_PROHIBITED_IP]),
      { add: { chain: { family: 'ip', table: T, name: 'qbs-10-137-0-5' } } },
      gotoFirst('ip', 'qbs-10-137-0-5', 'qbs-10-137-0-5-r1'),
      { add: element('ip', '10.137.0.5', 'qbs-10-137-0-5') },
    ]);
    assert.deepEqual(planTidy(plan.installed).commands, [], 'a new dispatch chain is tidy');
    assert.deepEqual(plan.changedClients, ['10.137.0.5']);
    assert.deepEqual(plan.failures, []);
    assert.equal(plan.nextWakeAt, undefined);
  });

  it('writes an IPv6 chain keyed by the canonical IPv6 address', () => {
    const plan = apply([client(0x2a, [{ action: 'accept' }], { ip6: true })], EMPTY_INSTALLED);
    assert.deepEqual(writtenChains(plan.commands), [
      'ip forward',
      'ip6 forward',
      'ip qbs-10-137-0-42',
      'ip6 qbs-fd09-24ef-4179--a89-2a',
    ]);
    assert.deepEqual(plan.commands.at(-1), {
      add: element('ip6', 'fd09:24ef:4179::a89:2a', 'qbs-fd09-24ef-4179--a89-2a'),
    });
  });

  it('plans nothing when the same document comes again (idempotent)', () => {
    const clients = [client(5, [{ action: 'accept' }], { ip6: true }), client(6, [{ action: 'drop', proto: 'udp' }])];
    const first = apply(clients, EMPTY_INSTALLED);
    const again = apply(clients, first.installed);
    assert.deepEqual(again.commands, []);
    assert.deepEqual(again.sweeps, []);
    assert.deepEqual(again.changedClients, []);
  });

  it('touches only the changed client among many', () => {
    const clients = Array.from({ length: 50 }, (_, i) => client(i + 2, [{ action: 'accept', proto: 'tcp' }]));
    const first = apply(clients, EMPTY_INSTALLED);
    const edited = clients.map((c) => (c.ip === '10.137.0.9' ? { ...c, rules: [{ action: 'drop' as const }] } : c));
    const plan = apply(edited, first.installed);
    const dispatch = { family: 'ip', table: T, name: 'qbs-10-137-0-9' };
    assert.deepEqual(plan.commands, [
      { add: { chain: { ...dispatch, name: 'qbs-10-137-0-9-r2' } } },
      rule('ip', 'qbs-10-137-0-9-r2', [{ reject: { type: 'icmp', expr: 'admin-prohibited' } }]),
      rule('ip', 'qbs-10-137-0-9-r2', [ADMIN_PROHIBITED_IP]),
      gotoFirst('ip', 'qbs-10-137-0-9', 'qbs-10-137-0-9-r2'),
    ]);
    // Nothing removed, and nothing existing added again (that is an update the kernel frees after a grace period).
    assert.ok(!plan.commands.some((c) => 'delete' in c || 'flush' in c));
    assert.ok(!JSON.stringify(plan.commands).includes('"name":"qbs-10-137-0-9"'));
    assert.deepEqual(plan.sweeps, [{ family: 'ip', source: '10.137.0.9', rules: [{ verdict: 'reject' }] }]);
  });

  it('tidies after an update: one goto to the live revision, the superseded revision removed', () => {
    const first = apply([client(5, [{ action: 'accept' }]), client(6)], EMPTY_INSTALLED);
    const updated = apply([client(5, [{ action: 'drop' }]), client(6)], first.installed);
    const tidy = planTidy(updated.installed);
    const dispatch = { family: 'ip', table: T, name: 'qbs-10-137-0-5' };
    assert.deepEqual(tidy.commands, [
      { flush: { chain: dispatch } },
      rule('ip', 'qbs-10-137-0-5', [{ goto: { target: 'qbs-10-137-0-5-r2' } }]),
      ...removed('ip', 'qbs-10-137-0-5-r1'),
    ]);
    assert.deepEqual(planTidy(tidy.installed).commands, [], 'tidy once');
    const third = apply([client(5, [{ action: 'accept' }]), client(6)], tidy.installed);
    assert.ok(JSON.stringify(third.commands).includes('"qbs-10-137-0-5-r3"'), 'revisions are never reused');
    assert.deepEqual(apply([client(5, [{ action: 'accept' }]), client(6)], third.installed).commands, []);
  });

  it('deletes the chains and map entries of a client that left, and sweeps all its flows', () => {
    const first = apply([client(5, [], { ip6: true }), client(6)], EMPTY_INSTALLED);
    const plan = apply([client(6)], first.installed);
    const v4 = { family: 'ip', table: T, name: 'qbs-10-137-0-5' };
    const v6 = { family: 'ip6', table: T, name: 'qbs-fd09-24ef-4179--a89-5' };
    assert.deepEqual(plan.commands, [
      { add: { chain: v4 } },
      { add: element('ip', '10.137.0.5', 'qbs-10-137-0-5') },
      { delete: { element: { family: 'ip', table: T, name: 'clients', elem: ['10.137.0.5'] } } },
      { flush: { chain: v4 } },
      ...removed('ip', 'qbs-10-137-0-5-r1'),
      { delete: { chain: v4 } },
      { add: { chain: v6 } },
      { add: element('ip6', 'fd09:24ef:4179::a89:5', 'qbs-fd09-24ef-4179--a89-5') },
      { delete: { element: { family: 'ip6', table: T, name: 'clients', elem: ['fd09:24ef:4179::a89:5'] } } },
      { flush: { chain: v6 } },
      ...removed('ip6', 'qbs-fd09-24ef-4179--a89-5-r1'),
      { delete: { chain: v6 } },
    ]);
    assert.deepEqual(plan.sweeps, [
      { family: 'ip', source: '10.137.0.5', rules: 'all' },
      { family: 'ip6', source: 'fd09:24ef:4179::a89:5', rules: 'all' },
    ]);
    assert.deepEqual([...plan.installed.clients.keys()], ['10.137.0.6']);
  });

  it('removes only the IPv6 chain when a client loses IPv6', () => {
    const first = apply([client(5, [], { ip6: true })], EMPTY_INSTALLED);
    const plan = apply([client(5)], first.installed);
    assert.deepEqual(writtenChains(plan.commands), ['ip6 qbs-fd09-24ef-4179--a89-5']);
    assert.ok(
      plan.commands.some(
        (c) =>
          JSON.stringify(c) ===
          JSON.stringify({ delete: { chain: { family: 'ip6', table: T, name: 'qbs-fd09-24ef-4179--a89-5' } } }),
      ),
    );
    assert.ok(!plan.commands.some((c) => 'delete' in c && JSON.stringify(c).includes('"family":"ip"')));
  });

  it('rewrites only the clients whose names got new addresses', () => {
    const answer = (a: string): ResolvedName => ({ ip: { addresses: [a] }, ip6: { addresses: [] } });
    const clients = [
      client(5, [{ action: 'accept', dsthost: 'a.example' }]),
      client(6, [{ action: 'accept', dsthost: 'b.example' }]),
    ];
    const first = apply(
      clients,
      EMPTY_INSTALLED,
      new Map([
        ['a.example', answer('192.0.2.1')],
        ['b.example', answer('192.0.2.2')],
      ]),
    );
    const plan = apply(
      clients,
      first.installed,
      new Map([
        ['a.example', answer('192.0.2.1')],
        ['b.example', answer('192.0.2.3')],
      ]),
    );
    assert.deepEqual(writtenChains(plan.commands), ['ip qbs-10-137-0-6']);
    assert.ok(JSON.stringify(plan.commands).includes('"192.0.2.3"'));
  });

  it('removes an expired rule once its time has come, and not before', () => {
    const expire = T0 / 1000 + 60;
    const clients = [client(5, [{ action: 'accept', dst4: '192.0.2.1/32', expire }]), client(6)];
    const first = apply(clients, EMPTY_INSTALLED);
    assert.equal(first.nextWakeAt, expire * 1000);
    assert.deepEqual(apply(clients, first.installed, none, expire * 1000 - 1).commands, []);
    const due = apply(clients, first.installed, none, expire * 1000);
    assert.deepEqual(writtenChains(due.commands), ['ip qbs-10-137-0-5']);
    assert.ok(!JSON.stringify(due.commands).includes('192.0.2.1'));
    assert.equal(due.nextWakeAt, undefined);
  });

  it('gives a fail-closed client a chain that drops everything and reports it', () => {
    const plan = planFirewall({
      clients: [client(5, [{ action: 'accept' }], { ip6: true })],
      names: none,
      nowMs: T0,
      installed: { ...EMPTY_INSTALLED, base: { ip: true, ip6: true } },
      failClosed: new Map([['10.137.0.5', 'rules could not be applied (nft said no)']]),
    });
    assert.deepEqual(plan.commands.slice(0, 5), [
      { add: { chain: { family: 'ip', table: T, name: 'qbs-10-137-0-5-r1' } } },
      rule('ip', 'qbs-10-137-0-5-r1', [ADMIN_PROHIBITED_IP]),
      { add: { chain: { family: 'ip', table: T, name: 'qbs-10-137-0-5' } } },
      gotoFirst('ip', 'qbs-10-137-0-5', 'qbs-10-137-0-5-r1'),
      { add: element('ip', '10.137.0.5', 'qbs-10-137-0-5') },
    ]);
    assert.equal(plan.commands.length, 10);
    assert.deepEqual(plan.failures, [
      { client: 'vm5', message: 'rules could not be applied (nft said no); all traffic of the client is dropped' },
    ]);
    // A fail-closed chain is retried by the next plan.
    assert.deepEqual(
      writtenChains(apply([client(5, [{ action: 'accept' }], { ip6: true })], plan.installed).commands),
      ['ip qbs-10-137-0-5', 'ip6 qbs-fd09-24ef-4179--a89-5'],
    );
  });

  it('plans only the scoped client and deletes nothing in a scoped plan', () => {
    const first = apply([client(5), client(6)], EMPTY_INSTALLED);
    const plan = planFirewall({
      clients: [client(6, [{ action: 'accept' }])],
      names: none,
      nowMs: T0,
      installed: first.installed,
      scope: new Set(['10.137.0.6']),
    });
    assert.deepEqual(writtenChains(plan.commands), ['ip qbs-10-137-0-6']);
    assert.ok(!plan.commands.some((c) => 'delete' in c));
    assert.deepEqual([...plan.installed.clients.keys()].sort(), ['10.137.0.5', '10.137.0.6']);
  });

  it('fails one client closed when its rules cannot be compiled, and still plans the others', () => {
    const names = new (class extends Map<string, ResolvedName> {
      override get(key: string): ResolvedName | undefined {
        if (key === 'evil.example') throw new Error('boom');
        return super.get(key);
      }
    })();
    const plan = apply(
      [client(5, [{ action: 'accept', dsthost: 'evil.example' }]), client(6, [{ action: 'accept' }])],
      EMPTY_INSTALLED,
      names,
    );
    assert.deepEqual(plan.failures, [
      { client: 'vm5', message: 'rules could not be compiled: boom; all traffic of the client is dropped' },
    ]);
    assert.ok(
      plan.commands.some(
        (c) => JSON.stringify(c) === JSON.stringify(rule('ip', 'qbs-10-137-0-6-r1', [{ accept: null }])),
      ),
    );
  });

  it('rewrites chains seen in the kernel (unknown content) and deletes unknown ones', () => {
    const seen = (revisions: number[]) => ({ key: undefined, revisions, tidy: false });
    const observed: InstalledFirewall = {
      base: { ip: true, ip6: true },
      chains: {
        ip: new Map([
          ['10.137.0.5', seen([3, 7])],
          ['10.137.0.99', seen([1])],
        ]),
        ip6: new Map(),
      },
      clients: new Map(),
    };
    const plan = apply([client(5)], observed);
    assert.deepEqual(writtenChains(plan.commands), ['ip qbs-10-137-0-5', 'ip qbs-10-137-0-99']);
    assert.ok(JSON.stringify(plan.commands).includes('"qbs-10-137-0-5-r8"'), 'a revision past every one seen');
    assert.ok(
      plan.commands.some(
        (c) => JSON.stringify(c) === JSON.stringify({ add: element('ip', '10.137.0.5', 'qbs-10-137-0-5') }),
      ),
      'a chain only seen in the kernel gets its dispatch chain and map element ensured',
    );
    const deleted = plan.commands.filter((c) => 'delete' in c).map((c) => JSON.stringify(c));
    assert.ok(deleted.includes(JSON.stringify(removed('ip', 'qbs-10-137-0-99-r1')[2])));
    assert.ok(
      deleted.includes(JSON.stringify({ delete: { chain: { family: 'ip', table: T, name: 'qbs-10-137-0-99' } } })),
    );
    // The tidy after it removes what the kernel held before.
    const tidy = JSON.stringify(planTidy(plan.installed).commands);
    assert.ok(tidy.includes('"qbs-10-137-0-5-r3"') && tidy.includes('"qbs-10-137-0-5-r7"'));
    assert.ok(!tidy.includes('{"delete":{"chain":{"family":"ip","table":"qubes-firewall","name":"qbs-10-137-0-5-r8"'));
  });
});

describe('sameJson', () => {
  it('compares parsed documents by value, whatever the key order', () => {
    assert.ok(sameJson({ a: [1, { b: 'x', c: null }] }, { a: [1, { c: null, b: 'x' }] }));
    assert.ok(!sameJson({ a: [1, 2] }, { a: [1, 2, 3] }));
    assert.ok(!sameJson({ a: { b: 1 } }, { a: { b: '1' } }));
    assert.ok(!sameJson({ a: 1 }, { b: 1 }));
    assert.ok(!sameJson([], {}));
    assert.ok(!sameJson({ a: null }, { a: {} }));
  });
});

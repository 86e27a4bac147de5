import assert from 'node:assert/strict';
import { silentLogger } from '../../../../shared/logging/logger';
import { FirewallEngine } from '../../../../vm-side/firewall/firewall-engine';
import { FirewallNotAppliedError } from '../../../../vm-side/firewall/firewall-errors';
import { NameCache } from '../../../../vm-side/firewall/name-cache';
import { client, FakeClock, RecordingConntrack, RecordingNft, T0, TableResolver, writtenChains } from './fixtures';

function setup() {
  const nft = new RecordingNft();
  const conntrack = new RecordingConntrack();
  const resolver = new TableResolver();
  const clock = new FakeClock();
  const engine = new FirewallEngine(nft, conntrack, new NameCache(resolver), clock, silentLogger);
  return { nft, conntrack, resolver, clock, engine };
}

describe('FirewallEngine', () => {
  it('applies a document as one transaction and sweeps the changed clients', async () => {
    const { nft, conntrack, engine } = setup();
    const failures = await engine.apply([client(5, [{ action: 'accept' }]), client(6)]);
    assert.deepEqual(failures, []);
    assert.equal(nft.batches.length, 1);
    assert.deepEqual(
      conntrack.calls[0].map((s) => s.source),
      ['10.137.0.5', '10.137.0.6'],
    );
  });

  it('creates missing base tables at start without flushing existing ones', async () => {
    const { nft, engine } = setup();
    nft.listing = [
      { chain: { family: 'ip', table: 'qubes-firewall', name: 'forward', hook: 'forward', policy: 'drop' } },
      { rule: { family: 'ip', table: 'qubes-firewall', chain: 'forward', expr: [{ vmap: { data: '@clients' } }] } },
    ];
    await engine.ensureBaseTables();
    assert.equal(nft.batches.length, 1);
    assert.deepEqual(writtenChains(nft.batches[0]), ['ip6 forward']);
    assert.ok(!JSON.stringify(nft.batches[0]).includes('"family":"ip",'));
  });

  it('re-resolves a name when its TTL runs out and rewrites only the client using it', async () => {
    const { nft, resolver, clock, engine } = setup();
    resolver.answers.set('lb.example', { ip: { addresses: ['192.0.2.1'], ttl: 60 }, ip6: { addresses: [] } });
    await engine.apply([client(5, [{ action: 'accept', dsthost: 'lb.example' }]), client(6)]);
    assert.deepEqual(clock.pending(), [T0 + 60_000]);
    resolver.answers.set('lb.example', { ip: { addresses: ['192.0.2.2'], ttl: 60 }, ip6: { addresses: [] } });
    clock.advance(60_000);
    await engine.refresh(); // waits for the wake-up's queued run
    assert.equal(nft.batches.length, 2);
    assert.deepEqual(writtenChains(nft.batches[1]), ['ip qbs-10-137-0-5']);
    assert.ok(JSON.stringify(nft.batches[1]).includes('192.0.2.2'));
    assert.deepEqual(resolver.lookups, ['lb.example', 'lb.example']);
  });

  it('removes an expired rule at its expiry time', async () => {
    const { nft, clock, engine } = setup();
    const expire = T0 / 1000 + 120;
    await engine.apply([client(5, [{ action: 'accept', dst4: '192.0.2.1/32', expire }])]);
    assert.deepEqual(clock.pending(), [expire * 1000]);
    clock.advance(120_000);
    await engine.refresh();
    assert.equal(nft.batches.length, 2);
    assert.ok(!JSON.stringify(nft.batches[1]).includes('192.0.2.1'));
    assert.deepEqual(clock.pending(), []);
  });

  it('when the kernel refuses one client, drops that client, applies the others, and reports it', async () => {
    const { nft, engine, clock } = setup();
    nft.failWhen = (cmds) => JSON.stringify(cmds).includes('203.0.113.66');
    const bad = client(9, [{ action: 'accept', dst4: '203.0.113.66/32' }]);
    const failures = await engine.apply([client(5, [{ action: 'accept' }]), bad]);
    // 1st batch refused; then both changed clients dropped in one batch; then each retried on its own.
    assert.equal(nft.batches.length, 2);
    assert.deepEqual(writtenChains(nft.batches[0]).slice(-2), ['ip qbs-10-137-0-5', 'ip qbs-10-137-0-9']);
    assert.deepEqual(writtenChains(nft.batches[1]), ['ip qbs-10-137-0-5']);
    assert.equal(failures.length, 1);
    assert.equal(failures[0].client, 'vm9');
    assert.match(failures[0].message, /^rules could not be applied \(nft: Could not process rule/);
    assert.match(failures[0].message, /all traffic of the client is dropped$/);
    assert.deepEqual(clock.pending(), [T0 + 30_000]);
  });

  it('throws and keeps its state when even the fail-closed batch is refused', async () => {
    const { nft, engine } = setup();
    await engine.apply([client(5)]);
    nft.failWhen = () => true;
    await assert.rejects(engine.apply([client(5, [{ action: 'accept' }])]), FirewallNotAppliedError);
    nft.failWhen = () => false;
    await engine.apply([client(5, [{ action: 'accept' }])]);
    assert.deepEqual(writtenChains(nft.batches.at(-1) ?? []), ['ip qbs-10-137-0-5']);
  });

  it('converges over what the kernel holds: rewrites known chains and deletes strangers', async () => {
    const { nft, engine } = setup();
    nft.listing = [
      { chain: { family: 'ip', table: 'qubes-firewall', name: 'forward', hook: 'forward', policy: 'drop' } },
      { rule: { family: 'ip', table: 'qubes-firewall', chain: 'forward', expr: [{ vmap: { data: '@clients' } }] } },
      { chain: { family: 'ip', table: 'qubes-firewall', name: 'qbs-10-137-0-5' } },
      { chain: { family: 'ip', table: 'qubes-firewall', name: 'qbs-10-137-0-77' } },
    ];
    await engine.converge([client(5)]);
    assert.deepEqual(writtenChains(nft.batches[0]), ['ip6 forward', 'ip qbs-10-137-0-5', 'ip qbs-10-137-0-77']);
    assert.ok(
      JSON.stringify(nft.batches[0]).includes(
        '{"delete":{"chain":{"family":"ip","table":"qubes-firewall","name":"qbs-10-137-0-77"}}}',
      ),
    );
  });

  it('disposes without touching the tables and stops waking up', async () => {
    const { nft, clock, engine } = setup();
    await engine.apply([client(5, [{ action: 'accept', dst4: '192.0.2.1/32', expire: T0 / 1000 + 5 }])]);
    await engine.dispose();
    assert.deepEqual(clock.pending(), []);
    assert.equal(nft.batches.length, 1);
  });
});

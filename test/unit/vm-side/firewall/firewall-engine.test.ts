import assert from 'node:assert/strict';
import { silentLogger } from '../../../../shared/logging/logger';
import { FirewallEngine } from '../../../../vm-side/firewall/firewall-engine';
import { FirewallNotAppliedError } from '../../../../vm-side/firewall/firewall-errors';
import { NameCache } from '../../../../vm-side/firewall/name-cache';
import type { ConntrackSweep } from '../../../../vm-side/firewall/planners/firewall-model';
import { client, FakeClock, RecordingConntrack, RecordingNft, T0, TableResolver, writtenChains } from './fixtures';

/** A sweep that does not finish until the test opens the gate; it may also fail. */
class GatedConntrack extends RecordingConntrack {
  open!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.open = resolve));
  failure: Error | undefined;
  override async sweep(sweeps: readonly ConntrackSweep[]): Promise<number> {
    await super.sweep(sweeps);
    await this.gate;
    if (this.failure) throw this.failure;
    return 1;
  }
}

const tidyOf = (batch: readonly unknown[]) => JSON.stringify(batch);

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
    await engine.settled();
    assert.deepEqual(failures, []);
    assert.equal(nft.batches.length, 1, 'new clients leave nothing to tidy');
    assert.deepEqual(
      conntrack.calls[0].map((s) => s.source),
      ['10.137.0.5', '10.137.0.6'],
    );
  });

  it('answers before the conntrack sweep, logs a failed sweep, and runs the next operation after it', async () => {
    const nft = new RecordingNft();
    const conntrack = new GatedConntrack();
    const warnings: string[] = [];
    const log = { ...silentLogger, warn: (msg: string) => void warnings.push(msg) };
    const engine = new FirewallEngine(nft, conntrack, new NameCache(new TableResolver()), new FakeClock(), log);
    const tick = async () => {
      for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    };
    await engine.apply([client(5, [{ action: 'accept' }])]); // resolves although the gate is closed
    await tick();
    assert.equal(conntrack.calls.length, 1, 'the sweep has started but not finished');
    const next = engine.apply([client(5, [{ action: 'drop' }])]);
    await tick();
    assert.equal(nft.batches.length, 1, 'the next document waits for the sweep');
    conntrack.failure = new Error('conntrack: operation failed');
    conntrack.open();
    await next;
    await engine.settled();
    assert.equal(nft.batches.length, 3, 'second document, then its tidy');
    assert.deepEqual(warnings, ['conntrack sweep failed', 'conntrack sweep failed']);
  });

  it('removes the superseded revision after an update, in a batch of its own', async () => {
    const { nft, engine } = setup();
    await engine.apply([client(5, [{ action: 'accept' }]), client(6)]);
    await engine.apply([client(5, [{ action: 'drop' }]), client(6)]);
    await engine.settled();
    assert.equal(nft.batches.length, 3);
    assert.ok(!nft.batches[1].some((c) => 'delete' in c || 'flush' in c), 'the update itself only adds');
    assert.deepEqual(writtenChains(nft.batches[2]), ['ip qbs-10-137-0-5']);
    assert.ok(tidyOf(nft.batches[2]).includes('{"goto":{"target":"qbs-10-137-0-5-r2"}}'));
    assert.ok(
      tidyOf(nft.batches[2]).includes(
        '{"delete":{"chain":{"family":"ip","table":"qubes-firewall","name":"qbs-10-137-0-5-r1"}}}',
      ),
    );
    await engine.apply([client(5, [{ action: 'drop' }]), client(6)]);
    await engine.settled();
    assert.equal(nft.batches.length, 3, 'nothing left to tidy, nothing to apply');
  });

  it('leaves the tidy to the last of a burst of documents', async () => {
    const { nft, engine } = setup();
    await engine.apply([client(5, [{ action: 'accept' }])]);
    await Promise.all([
      engine.apply([client(5, [{ action: 'drop' }])]),
      engine.apply([client(5, [{ action: 'accept', proto: 'tcp' }])]),
      engine.apply([client(5, [{ action: 'accept', proto: 'udp' }])]),
    ]);
    await engine.settled();
    assert.equal(nft.batches.length, 5, 'first document, three updates, one tidy');
    const tidy = tidyOf(nft.batches[4]);
    for (const r of [1, 2, 3]) assert.ok(tidy.includes(`"name":"qbs-10-137-0-5-r${r}"}}}`), `r${r} removed`);
    assert.ok(tidy.includes('{"goto":{"target":"qbs-10-137-0-5-r4"}}'));
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
    await engine.settled();
    assert.equal(nft.batches.length, 3, 'the rewrite, then its tidy');
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
    await engine.settled();
    assert.equal(nft.batches.length, 3, 'the rewrite, then its tidy');
    assert.ok(!JSON.stringify(nft.batches[1]).includes('192.0.2.1'));
    assert.deepEqual(clock.pending(), []);
  });

  it('when the kernel refuses one client, drops that client, applies the others, and reports it', async () => {
    const { nft, engine, clock } = setup();
    nft.failWhen = (cmds) => JSON.stringify(cmds).includes('203.0.113.66');
    const bad = client(9, [{ action: 'accept', dst4: '203.0.113.66/32' }]);
    const failures = await engine.apply([client(5, [{ action: 'accept' }]), bad]);
    await engine.settled();
    // 1st batch refused; then both changed clients dropped in one batch; then each retried on its own; then the tidy.
    assert.equal(nft.batches.length, 3);
    assert.deepEqual(writtenChains(nft.batches[0]).slice(-2), ['ip qbs-10-137-0-5', 'ip qbs-10-137-0-9']);
    assert.deepEqual(writtenChains(nft.batches[1]), ['ip qbs-10-137-0-5']);
    assert.ok(tidyOf(nft.batches[2]).includes('"qbs-10-137-0-5-r1"') && !tidyOf(nft.batches[2]).includes('-0-9'));
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

  it('reads the kernel back when even the fail-closed batch is refused, and fails closed from what is there', async () => {
    const { nft, engine } = setup();
    await engine.apply([client(5)]);
    // Somebody removed the dispatch chain by hand: a batch that only inserts into it is refused.
    nft.listing = nft.listing.filter((x) => !JSON.stringify(x).includes('"name":"qbs-10-137-0-5"'));
    const dispatch = '{"chain":{"family":"ip","table":"qubes-firewall","name":"qbs-10-137-0-5"}}';
    const exists = (cmds: readonly unknown[]) =>
      nft.listing.some((x) => JSON.stringify(x) === dispatch) || JSON.stringify(cmds).includes(`{"add":${dispatch}}`);
    // As the kernel: inserting into a missing chain is refused.
    nft.failWhen = (cmds) => JSON.stringify(cmds).includes('"insert"') && !exists(cmds);
    const failures = await engine.apply([client(5, [{ action: 'accept' }])]);
    assert.deepEqual(failures, []);
    assert.ok(JSON.stringify(nft.batches.at(-1)).includes('{"accept":null}'), 'the retry client by client applied it');
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

import assert from 'node:assert/strict';
import { silentLogger } from '../../../../shared/logging/logger';
import { FirewallEngine } from '../../../../vm-side/firewall/firewall-engine';
import type { Flow } from '../../../../vm-side/firewall/flow-verdict';
import type { HostLookup } from '../../../../vm-side/firewall/host-resolver';
import { agentConfigFromEnv } from '../../../../vm-side/config/agent-config';
import { buildAgentContainer } from '../../../../vm-side/main';
import {
  DEFAULT_DSTHOST_GRACE_MS,
  DsthostGraceMs,
  MAX_GRACED_PER_FAMILY,
  MAX_TTL_S,
  NameCache,
} from '../../../../vm-side/firewall/name-cache';
import { compileClientRules } from '../../../../vm-side/firewall/planners/compile-client-rules';
import { planConntrackDeletions } from '../../../../vm-side/firewall/planners/plan-conntrack-deletions';
import { client, FakeClock, RecordingConntrack, RecordingNft, T0, TableResolver } from './fixtures';

const GRACE = 600_000;
const v4 = (addresses: string[], ttl = 60): HostLookup => ({ ip: { addresses, ttl }, ip6: { addresses: [] } });
const failed: HostLookup = { ip: { error: 'ETIMEOUT' }, ip6: { error: 'ETIMEOUT' } };

/** An established TCP flow of client 10.137.0.5 to `dst`:443. */
const flowTo = (dst: string, dport = 443): Flow => ({
  family: 'ip',
  proto: 'tcp',
  src: '10.137.0.5',
  dst,
  replySrc: dst,
  sport: 40000,
  dport,
});

describe('dsthost grace: NameCache', () => {
  async function rotated(graceMs = GRACE) {
    const resolver = new TableResolver();
    const cache = new NameCache(resolver, graceMs);
    resolver.answers.set('lb.example', v4(['192.0.2.1', '192.0.2.2']));
    await cache.refresh(['lb.example'], T0);
    resolver.answers.set('lb.example', v4(['192.0.2.2', '192.0.2.3']));
    await cache.refresh(['lb.example'], T0 + 60_000);
    return { resolver, cache };
  }

  it('keeps an address the previous answer gave, and only that one, graced after a rotation', async () => {
    const { cache } = await rotated();
    assert.deepEqual(cache.table().get('lb.example'), {
      ip: { addresses: ['192.0.2.2', '192.0.2.3'] },
      ip6: { addresses: [] },
      graced: { ip: ['192.0.2.1'], ip6: [] },
    });
    assert.equal(cache.nextExpiry(), T0 + 120_000, 'the next refresh comes before the grace ends');
  });

  it('forgets a graced address exactly when its grace ends, and wakes up for it', async () => {
    const { resolver, cache } = await rotated();
    resolver.answers.set('lb.example', v4(['192.0.2.2', '192.0.2.3'], 3600));
    await cache.refresh(['lb.example'], T0 + 120_000);
    assert.equal(cache.nextExpiry(), T0 + 60_000 + GRACE, 'grace end is sooner than the hour-long TTL');
    cache.prune(T0 + 60_000 + GRACE - 1);
    assert.deepEqual(cache.table().get('lb.example')?.graced, { ip: ['192.0.2.1'], ip6: [] });
    cache.prune(T0 + 60_000 + GRACE);
    assert.deepEqual(cache.table().get('lb.example'), {
      ip: { addresses: ['192.0.2.2', '192.0.2.3'] },
      ip6: { addresses: [] },
    });
    assert.equal(cache.nextExpiry(), T0 + 120_000 + 3_600_000);
  });

  it('does not restart a grace on every refresh: it runs from the last answer that gave the address', async () => {
    const { resolver, cache } = await rotated();
    resolver.answers.set('lb.example', v4(['192.0.2.3']));
    await cache.refresh(['lb.example'], T0 + 120_000);
    cache.prune(T0 + 60_000 + GRACE);
    assert.deepEqual(cache.table().get('lb.example')?.graced, { ip: ['192.0.2.2'], ip6: [] });
  });

  it('makes an address current again when an answer gives it back', async () => {
    const { resolver, cache } = await rotated();
    resolver.answers.set('lb.example', v4(['192.0.2.1', '192.0.2.2', '192.0.2.3']));
    await cache.refresh(['lb.example'], T0 + 120_000);
    assert.equal(cache.table().get('lb.example')?.graced, undefined);
  });

  it('graces the previous addresses when a refresh fails, so a resolver hiccup cuts nothing', async () => {
    const { resolver, cache } = await rotated();
    resolver.answers.set('lb.example', failed);
    await cache.refresh(['lb.example'], T0 + 120_000);
    const held = cache.table().get('lb.example');
    assert.deepEqual(held?.ip, { error: 'ETIMEOUT' });
    assert.deepEqual(held?.graced, { ip: ['192.0.2.1', '192.0.2.2', '192.0.2.3'], ip6: [] });
  });

  it('remembers at most MAX_GRACED_PER_FAMILY addresses per name, dropping those whose grace ends first', async () => {
    const resolver = new TableResolver();
    const cache = new NameCache(resolver, DEFAULT_DSTHOST_GRACE_MS);
    const total = MAX_GRACED_PER_FAMILY + 20;
    for (let i = 0; i <= total; i++) {
      resolver.answers.set('pool.example', v4([`198.51.100.${i}`], 10));
      await cache.refresh(['pool.example'], T0 + i * 10_000);
    }
    const graced = cache.table().get('pool.example')?.graced?.ip ?? [];
    assert.equal(graced.length, MAX_GRACED_PER_FAMILY);
    assert.ok(!graced.includes('198.51.100.0'), 'the oldest is forgotten');
    assert.ok(graced.includes(`198.51.100.${total - 1}`), 'the newest is kept');
  });

  it('with a grace of 0 follows each answer at once (the behaviour before the grace)', async () => {
    const { cache } = await rotated(0);
    assert.equal(cache.table().get('lb.example')?.graced, undefined);
  });

  it('forgets the graces of a name no rule uses any more', async () => {
    const { resolver, cache } = await rotated();
    cache.retain(new Set());
    resolver.answers.set('lb.example', v4(['192.0.2.3']));
    await cache.refresh(['lb.example'], T0 + 120_000);
    assert.equal(cache.table().get('lb.example')?.graced, undefined);
  });

  it('defaults to the longest TTL this service trusts', () => {
    assert.equal(DEFAULT_DSTHOST_GRACE_MS, MAX_TTL_S * 1000);
  });
});

describe('dsthost grace: compileClientRules', () => {
  const graced = { ip: ['192.0.2.1'], ip6: [] };

  it('matches the current and the graced addresses of a name, in both accept and drop rules', () => {
    const names = new Map([['lb.example', { ip: { addresses: ['192.0.2.3'] }, ip6: { addresses: [] }, graced }]]);
    const out = compileClientRules(
      client(5, [
        { action: 'accept', proto: 'tcp', dsthost: 'lb.example' },
        { action: 'drop', proto: 'udp', dsthost: 'lb.example' },
      ]),
      names,
      T0,
    );
    assert.deepEqual(out.rules.ip, [
      { verdict: 'accept', protos: ['tcp'], daddr: ['192.0.2.1', '192.0.2.3'] },
      { verdict: 'reject', protos: ['udp'], daddr: ['192.0.2.1', '192.0.2.3'] },
    ]);
    assert.deepEqual(out.failures, []);
  });

  it('after a failed refresh, an accept matches only the graced addresses and the failure is reported', () => {
    const names = new Map([['lb.example', { ip: { error: 'ETIMEOUT' }, ip6: { error: 'ETIMEOUT' }, graced }]]);
    const out = compileClientRules(
      client(5, [
        { action: 'accept', dsthost: 'lb.example' },
        { action: 'drop', proto: 'udp', dsthost: 'lb.example' },
      ]),
      names,
      T0,
    );
    assert.deepEqual(out.rules.ip, [
      { verdict: 'accept', daddr: ['192.0.2.1'] },
      { verdict: 'reject', protos: ['udp'] },
    ]);
    assert.match(out.failures[0].message, /did not resolve \(IPv4: ETIMEOUT\): rule matches only earlier answers/);
    assert.match(out.failures[1].message, /rule drops every destination/);
  });
});

describe('dsthost grace: FirewallEngine with a fake clock', () => {
  function setup() {
    const nft = new RecordingNft();
    const conntrack = new RecordingConntrack();
    const resolver = new TableResolver();
    const clock = new FakeClock();
    const engine = new FirewallEngine(nft, conntrack, new NameCache(resolver, GRACE), clock, silentLogger);
    return { conntrack, resolver, clock, engine };
  }
  /** Whether the last sweep would delete this flow. */
  const cutByLastSweep = (conntrack: RecordingConntrack, flow: Flow) =>
    planConntrackDeletions([flow], conntrack.calls[conntrack.calls.length - 1] ?? []).length > 0;
  const doc = [client(5, [{ action: 'accept', proto: 'tcp', dsthost: 'lb.example' }])];

  it('keeps a flow to a rotated-away address through the grace, cuts it at the grace end', async () => {
    const { conntrack, resolver, clock, engine } = setup();
    resolver.answers.set('lb.example', v4(['192.0.2.1']));
    await engine.apply(doc);
    await engine.settled();
    resolver.answers.set('lb.example', v4(['192.0.2.2']));
    clock.advance(60_000);
    await engine.refresh();
    await engine.settled();
    const sweeps = conntrack.calls.length;
    assert.ok(sweeps >= 2, 'the rotation rewrote the chain and swept');
    assert.equal(cutByLastSweep(conntrack, flowTo('192.0.2.1')), false, 'the old address is still allowed');
    assert.equal(cutByLastSweep(conntrack, flowTo('192.0.2.2')), false);
    // TTL refreshes with the same answer until just before the grace ends change nothing.
    while (clock.time + 60_000 < T0 + 60_000 + GRACE) {
      clock.advance(60_000);
      await engine.refresh();
      await engine.settled();
    }
    assert.equal(conntrack.calls.length, sweeps, 'no rewrite, no sweep while the answers stay the same');
    clock.advance(T0 + 60_000 + GRACE - clock.time);
    await engine.refresh();
    await engine.settled();
    assert.equal(cutByLastSweep(conntrack, flowTo('192.0.2.1')), true, 'after the grace the old address is cut');
    assert.equal(cutByLastSweep(conntrack, flowTo('192.0.2.2')), false);
  });

  it('a TTL wake-up alone (no other call) rewrites, sweeps and tidies, and settled() waits for all of it', async () => {
    const nft = new RecordingNft();
    const conntrack = new RecordingConntrack();
    const resolver = new TableResolver();
    const clock = new FakeClock();
    const engine = new FirewallEngine(nft, conntrack, new NameCache(resolver, GRACE), clock, silentLogger);
    resolver.answers.set('lb.example', v4(['192.0.2.1']));
    await engine.apply(doc);
    await engine.settled();
    resolver.answers.set('lb.example', v4(['192.0.2.2']));
    clock.advance(60_000);
    await engine.settled();
    assert.equal(conntrack.calls.length, 2, 'the rotation was swept');
    const last = JSON.stringify(nft.batches[nft.batches.length - 1]);
    assert.ok(last.includes('"delete":{"chain":{"family":"ip","table":"qubes-firewall","name":"qbs-10-137-0-5-r1"}}'));
  });

  it('settled() called twice at once resolves for both (the waits are not work)', async () => {
    const { resolver, engine } = setup();
    resolver.answers.set('lb.example', v4(['192.0.2.1']));
    const applied = engine.apply(doc);
    const both = Promise.all([engine.settled(), engine.settled(), applied]);
    const late = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 2000).unref());
    assert.notEqual(await Promise.race([both, late]), 'late');
  });

  it('a rule change that forbids the graced address cuts its flow at once', async () => {
    const { conntrack, resolver, clock, engine } = setup();
    resolver.answers.set('lb.example', v4(['192.0.2.1']));
    await engine.apply(doc);
    resolver.answers.set('lb.example', v4(['192.0.2.2']));
    clock.advance(60_000);
    await engine.refresh();
    await engine.settled();
    assert.equal(cutByLastSweep(conntrack, flowTo('192.0.2.1')), false);
    // Same name, narrowed to port 80: the graced address stays for port 80 only.
    await engine.apply([
      client(5, [{ action: 'accept', proto: 'tcp', dsthost: 'lb.example', dstports: { from: 80, to: 80 } }]),
    ]);
    await engine.settled();
    assert.equal(cutByLastSweep(conntrack, flowTo('192.0.2.1', 443)), true, 'the new rule forbids port 443');
    assert.equal(cutByLastSweep(conntrack, flowTo('192.0.2.1', 80)), false);
    // The name leaves the document: nothing an earlier answer gave is kept.
    await engine.apply([client(5, [{ action: 'accept', proto: 'tcp', dst4: '192.0.2.2/32' }])]);
    await engine.settled();
    assert.equal(cutByLastSweep(conntrack, flowTo('192.0.2.1', 80)), true);
  });
});

describe('dsthost grace: configuration', () => {
  it('QNET_DSTHOST_GRACE_S sets the grace in seconds; 0 turns it off; anything else keeps the default', () => {
    const grace = (value?: string) =>
      agentConfigFromEnv(value === undefined ? {} : { QNET_DSTHOST_GRACE_S: value }).dsthostGraceMs;
    assert.equal(grace(), DEFAULT_DSTHOST_GRACE_MS);
    assert.equal(grace('120'), 120_000);
    assert.equal(grace('0'), 0);
    for (const bad of ['', ' ', '-5', '1.5', 'ten', '1e3x']) assert.equal(grace(bad), DEFAULT_DSTHOST_GRACE_MS, bad);
  });

  it("reaches the agent's name cache through the composition root", async () => {
    const seams = {
      runner: { exec: async () => ({ stdout: '[]', stderr: '' }) },
      transport: { invoke: () => Promise.reject(new Error('unused')) },
      logger: silentLogger,
    };
    const config = agentConfigFromEnv({ QNET_DSTHOST_GRACE_S: '45' }, { stateDir: '/nonexistent/qnet' });
    const c = buildAgentContainer(config, {}, seams);
    assert.equal(c.resolve(DsthostGraceMs), 45_000);
    await c.dispose();
  });
});

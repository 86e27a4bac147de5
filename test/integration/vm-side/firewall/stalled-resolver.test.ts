import assert from 'node:assert/strict';
import type { ClientFirewall } from '../../../../services/firewall-sync';
import { FirewallSync } from '../../../../services/firewall-sync';
import type { CallContext } from '../../../../shared/contract/call-context';
import { silentLogger } from '../../../../shared/logging/logger';
import { NftJsonExecutor } from '../../../../vm-side/executors/nft-executor';
import { SystemClock } from '../../../../vm-side/firewall/clock';
import { ConntrackToolExecutor } from '../../../../vm-side/firewall/conntrack-tool-executor';
import { FirewallEngine } from '../../../../vm-side/firewall/firewall-engine';
import { FirewallSyncHandler } from '../../../../vm-side/firewall/firewall-sync-handler';
import type { HostLookup, HostResolver } from '../../../../vm-side/firewall/host-resolver';
import { NameCache } from '../../../../vm-side/firewall/name-cache';
import { rootSkipReason } from '../../../helpers/netns';
import { MemoryStore } from '../../../unit/vm-side/firewall/fixtures';
import { CLIENT, INTERNET, INTERNET6, ProviderLab, runnerIn } from './provider-lab';

const ctx: CallContext = { service: FirewallSync.name, argument: '', source: 'dom0' };

/** A resolver whose every lookup hangs until the test releases it, as a dead upstream DNS server does. */
class StalledResolver implements HostResolver {
  private readonly waiting: (() => void)[] = [];
  lookups = 0;
  resolve(): Promise<HostLookup> {
    this.lookups++;
    return new Promise((resolve) =>
      this.waiting.push(() =>
        resolve({ ip: { addresses: [INTERNET], ttl: 300 }, ip6: { addresses: [INTERNET6], ttl: 300 } }),
      ),
    );
  }
  release(): void {
    for (const answer of this.waiting.splice(0)) answer();
  }
}

const work = (rules: ClientFirewall['rules']): ClientFirewall => ({
  name: 'work',
  ip: CLIENT.ip,
  dns: ['10.139.1.1', '10.139.1.2'],
  rules,
});

/** Resolves to `late` when `promise` has not settled within `ms`: a hang must fail the test, not stall it. */
const within = <T>(promise: Promise<T>, ms: number): Promise<T | 'late'> =>
  Promise.race([promise, new Promise<'late'>((r) => setTimeout(() => r('late'), ms).unref())]);

/** Issue 11 point 4: a document that tightens is in force at once, whatever the resolver does. */
describe('FirewallSync with a stalled resolver (root, real packets)', function () {
  this.timeout(30_000);
  let lab: ProviderLab | undefined;
  let resolver: StalledResolver;
  let engine: FirewallEngine;
  let handler: FirewallSyncHandler;

  before(function () {
    if (rootSkipReason(['ip', 'nft', 'conntrack'])) this.skip();
  });
  beforeEach(async () => {
    lab = new ProviderLab();
    await lab.listen([80, 443]);
    resolver = new StalledResolver();
    const run = runnerIn(lab.provider);
    engine = new FirewallEngine(
      new NftJsonExecutor(run, 'nft'),
      new ConntrackToolExecutor(run, silentLogger),
      new NameCache(resolver),
      new SystemClock(),
      silentLogger,
    );
    handler = new FirewallSyncHandler(engine, new MemoryStore(), silentLogger);
  });
  afterEach(async () => {
    resolver.release();
    await engine.settled();
    lab?.dispose();
  });

  it('a drop-everything document behind one that waits on DNS is in force within seconds', async () => {
    const open = await handler.handle({ generation: 1, clients: [work([{ action: 'accept' }])] }, ctx);
    assert.equal(open.appliedGeneration, 1);
    assert.equal(lab!.probe(INTERNET, 80), 'open');
    // Generation 2 needs a name the resolver never answers; generation 3 drops everything.
    const named = handler.handle(
      {
        generation: 2,
        clients: [
          work([
            { action: 'accept', proto: 'tcp', dsthost: 'web.example', dstports: { from: 443, to: 443 } },
            { action: 'accept' },
          ]),
        ],
      },
      ctx,
    );
    const closed = handler.handle({ generation: 3, clients: [work([])] }, ctx);
    const answer = await within(closed, 5000);
    assert.notEqual(answer, 'late', 'the drop-everything document waited on the stalled resolver');
    assert.deepEqual(answer, { appliedGeneration: 3, failures: [] });
    assert.notEqual(lab!.probe(INTERNET, 80, 500), 'open');
    // Generation 2 was answered with its name marked pending, its accept standing in as "matches nothing".
    const second = await named;
    assert.equal(second.appliedGeneration, 2);
    assert.match(second.failures[0]?.message ?? '', /web\.example.*not resolved yet/);
    // The late answer widens nothing: generation 3 superseded the document that asked for the name.
    resolver.release();
    await engine.settled();
    assert.notEqual(lab!.probe(INTERNET, 80, 500), 'open');
    assert.notEqual(lab!.probe(INTERNET, 443, 500), 'open');
  });

  it('answers with the fail-closed stand-in first and widens once the name is answered', async () => {
    const res = await within(
      handler.handle(
        {
          generation: 1,
          clients: [
            work([{ action: 'accept', proto: 'tcp', dsthost: 'web.example', dstports: { from: 443, to: 443 } }]),
          ],
        },
        ctx,
      ),
      5000,
    );
    assert.notEqual(res, 'late');
    assert.notEqual(lab!.probe(INTERNET, 443, 500), 'open', 'accepted before its name was answered');
    resolver.release();
    await engine.settled();
    assert.equal(lab!.probe(INTERNET, 443), 'open');
    assert.notEqual(lab!.probe(INTERNET, 80, 500), 'open');
  });
});

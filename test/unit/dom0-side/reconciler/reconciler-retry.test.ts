import assert from 'node:assert/strict';
import sinon from 'sinon';
import { QrexecFailedError, RemoteServiceError } from '../../../../shared/errors/client-errors';
import { parseApiRule } from '../../../../dom0-side/firewall/parse-api-rule';
import { Inventory } from '../../../../dom0-side/inventory/inventory';
import type { Qube } from '../../../../dom0-side/inventory/qube';
import type { ReconcilerEvent } from '../../../../dom0-side/reconciler/reconciler-events';
import { backoffDelay, type ReconcilerOptions } from '../../../../dom0-side/reconciler/reconciler-options';
import { defaultInstall } from '../qube-fixture';
import { GenerationCounter } from '../../../../dom0-side/reconciler/generation-counter';
import { Reconciler } from '../../../../dom0-side/reconciler/reconciler';
import { silentLogger, type Logger } from '../../../../shared/logging/logger';
import type { ServiceClient } from '../../../../shared/transport/service-client';
import { FAST_OPTIONS, fakeAgents, memoryCeilingStore, reconcilerWith, type Answer, type Push } from './fake-agents';

/** The shipped retry policy, without jitter unless a test asks: 4 reported tries, 1 s doubling to a 60 s cap. */
const REAL: Partial<ReconcilerOptions> = {
  concurrency: 4,
  callTimeoutMs: 1000,
  attempts: 4,
  backoffMs: 1000,
  maxBackoffMs: 60_000,
  jitter: 0,
};
const install = () => Inventory.of(defaultInstall());
const change = (inv: Inventory, name: string, patch: Partial<Qube>) => inv.with({ ...inv.get(name)!, ...patch });
const down = (qube: string) => ({ error: new QrexecFailedError(qube, 'qubes.NetConfig', 'agent is down') });

describe('dom0-side/reconciler retries until the qube acknowledges (fake timers)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 1_700_000_000_000 });
  });
  afterEach(() => clock.restore());

  /** An agent per qube that is up unless `downQubes` holds it; every push is stamped with the fake time. */
  function world(opts: Partial<ReconcilerOptions> = REAL, answer: (p: Push) => Answer = () => undefined) {
    const downQubes = new Set<string>();
    const at: number[] = [];
    const agents = fakeAgents((p) => {
      at.push(Date.now());
      return downQubes.has(p.target) ? down(p.target) : answer(p);
    });
    const lines: string[] = [];
    const logger: Logger = {
      debug() {},
      info() {},
      warn: (m: string) => void lines.push(`warn ${m}`),
      error: (m: string) => void lines.push(`error ${m}`),
    };
    const { reconciler } = reconcilerWith(agents.transport, opts, { now: () => Date.now(), logger });
    const events: ReconcilerEvent[] = [];
    reconciler.onEvent((e) => events.push(e));
    const timesOf = (qube: string) => agents.pushes.flatMap((p, i) => (p.target === qube ? [at[i]] : []));
    const row = (qube: string) => reconciler.status().find((r) => r.qube === qube)!;
    return { ...agents, reconciler, downQubes, timesOf, row, events, lines };
  }
  const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]);

  it('keeps retrying past the reported tries, doubling up to the 60 s cap, and converges when the agent returns', async () => {
    const w = world();
    w.downQubes.add('work');
    const targets = await w.reconciler.start(install());
    await clock.tickAsync(10 * 60_000);
    const tries = w.timesOf('work');
    // Old behaviour: 4 tries, then nothing until someone typed `qnet push`.
    assert.ok(tries.length > 10, `tries: ${tries.length}`);
    assert.deepEqual(gaps(tries).slice(0, 9), [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
    assert.ok(gaps(tries).every((g) => g <= 60_000));
    const row = w.row('work');
    assert.equal(row.state, 'retrying');
    assert.match(row.reason!, /^retrying \(attempt \d+, next in \d+s\): generation \d+: UNAVAILABLE: .*agent is down/);
    assert.equal(row.attempts, tries.length);
    assert.ok(row.nextRetryAt! > Date.now() && row.nextRetryAt! <= Date.now() + 60_000);
    // Reported failed once (after its 4 tries), not once per retry; the log says the same.
    assert.deepEqual(
      w.events.filter((e) => e.type === 'push-failed').map((e) => [e.qube, e.attempts]),
      [['work', 4]],
    );
    assert.equal(w.lines.filter((l) => l.startsWith('error') && l.includes('on work')).length, 1);
    const outcome = (await w.reconciler.wait(targets, 0)).results.find((r) => r.qube === 'work')!;
    assert.deepEqual([outcome.outcome, outcome.error?.code], ['failed', 'UNAVAILABLE']);

    // The agent comes back; nobody pushes: the next retry converges it.
    w.downQubes.delete('work');
    await clock.tickAsync(60_000);
    assert.equal(w.row('work').state, 'ok');
    assert.equal(w.row('work').applied, w.row('work').desired);
    assert.equal(w.row('work').lastError, undefined);
    const done = w.events.filter((e) => e.type === 'push-done' && e.qube === 'work');
    assert.equal(done.length, 1);
    assert.equal(done[0].attempts, w.timesOf('work').length);
    const count = w.timesOf('work').length;
    await clock.tickAsync(10 * 60_000);
    assert.equal(w.timesOf('work').length, count, 'no push after the acknowledgement');
    await w.reconciler.dispose();
  });

  it('jitters each delay downwards by at most the jitter fraction, never above the cap', async () => {
    const w = world({ ...REAL, jitter: 0.2 });
    w.downQubes.add('work');
    await w.reconciler.start(install());
    await clock.tickAsync(15 * 60_000);
    const g = gaps(w.timesOf('work'));
    const nominal = g.map((_, i) => Math.min(60_000, 1000 * 2 ** i));
    g.forEach((gap, i) => {
      assert.ok(gap <= nominal[i] && gap >= Math.floor(nominal[i] * 0.8), `gap ${i}: ${gap} for ${nominal[i]}`);
    });
    assert.ok(new Set(g.slice(7)).size > 1, 'capped delays are not all equal');
    assert.equal(backoffDelay({ ...(REAL as ReconcilerOptions), jitter: 0.2 }, 30, 0.999_999), 48_000);
    await w.reconciler.dispose();
  });

  it('stops retrying a qube that halts, and starts afresh when it starts again', async () => {
    const w = world();
    w.downQubes.add('work');
    await w.reconciler.start(install());
    await clock.tickAsync(70_000); // tries at 0, 1, 3, 7, 15, 31 and 63 s
    const before = w.timesOf('work').length;
    assert.equal(before, 7);
    await w.reconciler.update(change(w.reconciler.inventory, 'work', { power: 'halted' }));
    await clock.tickAsync(30 * 60_000);
    assert.equal(w.timesOf('work').length, before, 'a halted qube is not pushed to');
    assert.equal(w.row('work').state, 'halted');
    assert.equal(w.row('work').nextRetryAt, undefined);
    // Started again (its agent is still down): pushed at once, then 1 s, 2 s… again, not 60 s.
    const startAt = Date.now();
    await w.reconciler.update(change(w.reconciler.inventory, 'work', { power: 'running' }));
    await clock.tickAsync(3500);
    const after = w.timesOf('work').slice(before);
    assert.deepEqual(
      after.map((t) => t - startAt),
      [0, 1000, 3000],
    );
    await w.reconciler.dispose();
  });

  it('a newer document replaces a retrying one at once, and the retries carry only the newest', async () => {
    const w = world();
    w.downQubes.add('work');
    await w.reconciler.start(install());
    await clock.tickAsync(40_000); // tries at 0, 1, 3, 7, 15, 31 s; the next is due at 63 s
    const before = w.pushes.filter((p) => p.target === 'work').length;
    const oldGeneration = w.row('work').desired;
    const changedAt = Date.now();
    await w.reconciler.update(change(w.reconciler.inventory, 'work', { netvm: 'sys-net' }));
    await clock.tickAsync(0);
    const work = () => w.pushes.filter((p) => p.target === 'work');
    assert.equal(work().length, before + 1, 'the new document goes out at once, not at the next retry');
    assert.equal(w.timesOf('work').at(-1), changedAt);
    const newGeneration = w.row('work').desired;
    assert.ok(newGeneration > oldGeneration);
    await clock.tickAsync(5 * 60_000);
    assert.ok(
      work()
        .slice(before)
        .every((p) => p.request.generation === newGeneration),
    );
    w.downQubes.delete('work');
    await clock.tickAsync(60_000);
    assert.deepEqual([w.row('work').state, w.row('work').applied], ['ok', newGeneration]);
    assert.equal((work().at(-1)!.request.uplink as { gateway: string }).gateway, '10.137.0.2');
    await w.reconciler.dispose();
  });

  it('push identity: a re-push of the generation the qube holds reports that re-push failing', async () => {
    const w = world();
    const started = await w.reconciler.start(install());
    await clock.tickAsync(0);
    assert.ok((await w.reconciler.wait(started, 0)).results.every((r) => r.outcome === 'done'));
    const held = w.row('work').applied;
    w.downQubes.add('work');
    const [target] = await w.reconciler.pushAgain(['work']);
    assert.equal(target.generation, held, 'same generation as the qube holds');
    // Before its tries have run, it is pending: the earlier acknowledgement does not count for it.
    assert.equal((await w.reconciler.wait([target], 0)).results[0].outcome, 'pending');
    const waited = w.reconciler.wait([target], 60_000);
    await clock.tickAsync(10_000);
    const { complete, results } = await waited;
    assert.equal(complete, true);
    assert.deepEqual([results[0].outcome, results[0].error?.code, results[0].attempts], ['failed', 'UNAVAILABLE', 4]);
    assert.equal(w.timesOf('work').length, 1 + 4);
    // Not converged while the re-push is unacknowledged, though an older send of its generation was.
    assert.equal(w.row('work').state, 'retrying');
    // A second re-push is a new request: its first try fails too, but one failure does not make it failed…
    const [again] = await w.reconciler.pushAgain(['work']);
    await clock.tickAsync(0);
    assert.ok(again.push > target.push);
    assert.equal(w.timesOf('work').length, 1 + 4 + 1);
    assert.equal((await w.reconciler.wait([again], 0)).results[0].outcome, 'pending');
    // …and with the agent back it is done by its own next try, with nobody pushing.
    w.downQubes.delete('work');
    const ok = w.reconciler.wait([again], 60_000);
    await clock.tickAsync(1000);
    assert.equal((await ok).results[0].outcome, 'done');
    assert.equal(w.timesOf('work').length, 1 + 4 + 2);
    await w.reconciler.dispose();
  });

  it('an answer "accepted, applying later" is re-checked, never reported failed, until acknowledged', async () => {
    // What the agent answers when its apply outlives the answer deadline (vm-side/apply/answer-deadline.ts).
    let slow = true;
    const calls: string[] = [];
    const client = {
      call: sinon.fake(async (svc: { name: string }, qube: string, request: { generation: number }) => {
        calls.push(qube);
        if (qube === 'work' && slow) {
          throw new RemoteServiceError('TIMEOUT_APPLIED_LATER', `generation ${request.generation} still applying`);
        }
        return svc.name === 'qubes.FirewallSync'
          ? { appliedGeneration: request.generation, failures: [] }
          : { appliedGeneration: request.generation };
      }),
    } as unknown as ServiceClient;
    const reconciler = new Reconciler(
      client,
      new GenerationCounter(memoryCeilingStore()),
      { ...FAST_OPTIONS, ...REAL },
      { now: () => Date.now() },
      silentLogger,
    );
    const events: ReconcilerEvent[] = [];
    reconciler.onEvent((e) => events.push(e));
    const row = () => reconciler.status().find((r) => r.qube === 'work')!;
    const targets = await reconciler.start(install());
    await clock.tickAsync(20_000);
    assert.ok(calls.filter((q) => q === 'work').length >= 5);
    assert.equal(row().state, 'applying');
    assert.match(row().reason!, /applies generation \d+ later, checking again in \d+s/);
    assert.equal(events.filter((e) => e.type === 'push-failed').length, 0);
    assert.equal((await reconciler.wait(targets, 0)).results.find((r) => r.qube === 'work')!.outcome, 'pending');
    slow = false;
    await clock.tickAsync(60_000);
    assert.equal(row().state, 'ok');
    assert.equal((await reconciler.wait(targets, 0)).results.find((r) => r.qube === 'work')!.outcome, 'done');
    await reconciler.dispose();
  });

  it('carries a rule the agent could not install, with qube, number, text and reason, to status, results, events and logs', async () => {
    const reason = 'dsthost "nowhere.example" did not resolve (NXDOMAIN): rule matches nothing';
    const w = world(REAL, (p) =>
      p.service === 'qubes.FirewallSync' && p.target === 'sys-firewall'
        ? { failures: [{ client: 'work', rule: 1, message: reason }] }
        : undefined,
    );
    await w.reconciler.start(install());
    await clock.tickAsync(0);
    const rules = [
      parseApiRule('action=accept proto=udp specialtarget=dns'),
      parseApiRule('action=accept proto=tcp dsthost=nowhere.example dstports=443'),
      parseApiRule('action=drop'),
    ];
    const targets = await w.reconciler.update(change(w.reconciler.inventory, 'work', { firewall: rules }));
    await clock.tickAsync(0);
    const expected = {
      client: 'work',
      rule: 1,
      text: 'action=accept dsthost=nowhere.example proto=tcp dstports=443-443',
      message: reason,
    };
    const row = w.reconciler.status().find((r) => r.qube === 'sys-firewall' && r.service === 'qubes.FirewallSync')!;
    assert.deepEqual(row.ruleFailures, [expected]);
    assert.equal(row.state, 'ok');
    assert.match(row.reason!, /^1 firewall rule\(s\) not installed: client work rule 1 \(action=accept dsthost=now/);
    const [result] = (await w.reconciler.wait(targets, 0)).results;
    assert.deepEqual([result.outcome, result.ruleFailures], ['done', [expected]]);
    assert.deepEqual(w.events.at(-1)!.ruleFailures, [expected]);
    assert.ok(
      w.lines.some((l) => l.includes('sys-firewall') && l.includes('rule 1') && l.includes('nowhere.example')),
      w.lines.join('\n'),
    );
    await w.reconciler.dispose();
  });
});

import assert from 'node:assert/strict';
import { QrexecFailedError } from '../../../../shared/errors/client-errors';
import { TimeoutError } from '../../../../shared/errors/qnet-error';
import { parseApiRule } from '../../../../dom0-side/firewall/parse-api-rule';
import { Inventory } from '../../../../dom0-side/inventory/inventory';
import type { Qube } from '../../../../dom0-side/inventory/qube';
import type { ReconcilerEvent } from '../../../../dom0-side/reconciler/reconciler-events';
import { defaultInstall, qube } from '../qube-fixture';
import { fakeAgents, reconcilerWith, sent, type Push } from './fake-agents';

const install = (...extra: Qube[]) => Inventory.of([...defaultInstall(), ...extra]);
const change = (inv: Inventory, name: string, patch: Partial<Qube>) => inv.with({ ...inv.get(name)!, ...patch });
const uplinkOf = (p: Push) => p.request.uplink as { gateway: string; ip6?: string; gateway6?: string } | undefined;

async function started(inventory: Inventory, behave?: Parameters<typeof fakeAgents>[0], opts = {}) {
  const agents = fakeAgents(behave);
  const { reconciler } = reconcilerWith(agents.transport, opts);
  await reconciler.start(inventory);
  await reconciler.idle();
  const startup = agents.pushes.splice(0);
  return { ...agents, reconciler, startup };
}

describe('dom0-side/reconciler Reconciler', () => {
  it('converges every running qube at start, providers before clients, NetConfig first', async () => {
    const { startup, reconciler } = await started(install());
    assert.deepEqual(sent(startup), [
      'sys-net qubes.NetConfig',
      'sys-net qubes.FirewallSync',
      'sys-firewall qubes.NetConfig',
      'sys-firewall qubes.FirewallSync',
      'sys-firewall qubes.DnsUpdate',
      'personal qubes.NetConfig',
      'work qubes.NetConfig',
    ]);
    // Every document carries its own generation, all distinct.
    assert.equal(new Set(startup.map((p) => p.request.generation)).size, startup.length);
    assert.ok(reconciler.status().every((r) => r.state === 'ok' && r.applied === r.desired));
    assert.ok(startup.every((p) => p.opts.timeoutMs === 1234));
  });

  it('netvm change: new provider, old provider, then the moved qube, with the new gateway', async () => {
    const { reconciler, pushes } = await started(install());
    const targets = await reconciler.update(change(reconciler.inventory, 'work', { netvm: 'sys-net' }));
    await reconciler.idle();
    assert.deepEqual(sent(pushes), [
      'sys-net qubes.NetConfig',
      'sys-net qubes.FirewallSync',
      'sys-firewall qubes.NetConfig',
      'sys-firewall qubes.FirewallSync',
      'work qubes.NetConfig',
    ]);
    assert.deepEqual(
      targets.map((t) => `${t.qube} ${t.service}`),
      sent(pushes),
    );
    assert.equal(uplinkOf(pushes[4])!.gateway, '10.137.0.2');
    const netClients = (pushes[0].request.provider as { clients: { name: string }[] }).clients.map((c) => c.name);
    assert.deepEqual(netClients, ['sys-firewall', 'work']);
    const fwClients = (pushes[3].request.clients as { name: string }[]).map((c) => c.name);
    assert.deepEqual(fwClients, ['personal']);
  });

  it('ipv6 on the root provider reaches every running qube live, in tree order', async () => {
    const { reconciler, pushes } = await started(install());
    await reconciler.update(change(reconciler.inventory, 'sys-net', { features: { ipv6: '1' } }));
    await reconciler.idle();
    assert.deepEqual(sent(pushes), [
      'sys-net qubes.NetConfig',
      'sys-net qubes.FirewallSync',
      'sys-firewall qubes.NetConfig',
      'sys-firewall qubes.FirewallSync',
      'personal qubes.NetConfig',
      'work qubes.NetConfig',
    ]);
    assert.equal((pushes[0].request.provider as { ipv6: boolean }).ipv6, true);
    for (const p of pushes.filter((x) => x.service === 'qubes.NetConfig' && x.target !== 'sys-net')) {
      assert.match(uplinkOf(p)!.ip6!, /^fd09:24ef:4179::a89:/);
      assert.ok(uplinkOf(p)!.gateway6, `${p.target} has gateway6`);
    }
  });

  it('a rule change pushes only the provider firewall, with the new rules', async () => {
    const { reconciler, pushes } = await started(install());
    const rules = [
      parseApiRule('action=accept proto=tcp dsthost=example.org dstports=443'),
      parseApiRule('action=drop'),
    ];
    await reconciler.update(change(reconciler.inventory, 'work', { firewall: rules }));
    await reconciler.idle();
    assert.deepEqual(sent(pushes), ['sys-firewall qubes.FirewallSync']);
    const work = (pushes[0].request.clients as { name: string; rules: unknown[] }[]).find((c) => c.name === 'work')!;
    assert.deepEqual(work.rules, [
      { action: 'accept', proto: 'tcp', dsthost: 'example.org', dstports: { from: 443, to: 443 } },
      { action: 'drop' },
    ]);
  });

  it('start pushes the provider and every document of the started qube; stop skips the stopped qube', async () => {
    const inv = Inventory.of(
      defaultInstall().map((q) => (q.name === 'personal' ? { ...q, power: 'halted' as const } : q)),
    );
    const { reconciler, pushes, startup } = await started(inv);
    assert.ok(!sent(startup).some((s) => s.startsWith('personal')), 'halted qubes are skipped');
    await reconciler.update(change(reconciler.inventory, 'personal', { power: 'running', xid: 30 }));
    await reconciler.idle();
    assert.deepEqual(sent(pushes.splice(0)), [
      'sys-firewall qubes.NetConfig',
      'sys-firewall qubes.FirewallSync',
      'personal qubes.NetConfig',
    ]);
    await reconciler.update(change(reconciler.inventory, 'work', { power: 'halted' }));
    await reconciler.idle();
    assert.deepEqual(sent(pushes), ['sys-firewall qubes.NetConfig', 'sys-firewall qubes.FirewallSync']);
    const clients = (pushes[0].request.provider as { clients: { name: string }[] }).clients.map((c) => c.name);
    assert.deepEqual(clients, ['personal']);
    assert.ok(
      reconciler
        .status()
        .filter((r) => r.qube === 'work')
        .every((r) => r.power === 'halted'),
    );
  });

  it('retries with backoff after failures and timeouts, then succeeds', async () => {
    let failures = 0;
    const { reconciler, pushes } = await started(install());
    const agents = fakeAgents((p) => {
      if (p.target === 'work' && failures < 2) {
        failures++;
        return {
          error:
            failures === 1
              ? new TimeoutError('qubes.NetConfig on work', 1234)
              : new QrexecFailedError('work', 'x', 'boom'),
        };
      }
      return undefined;
    });
    // Same reconciler state, new transport behaviour: swap by starting a fresh one over the same inventory.
    const fresh = reconcilerWith(agents.transport);
    const targets = await fresh.reconciler.start(reconciler.inventory);
    await fresh.reconciler.wait(targets, 5000);
    assert.equal(pushes.length, 0);
    assert.deepEqual(sent(agents.pushes.filter((p) => p.target === 'work')), [
      'work qubes.NetConfig',
      'work qubes.NetConfig',
      'work qubes.NetConfig',
    ]);
    const row = fresh.reconciler.status().find((r) => r.qube === 'work')!;
    assert.equal(row.state, 'ok');
  });

  it('gives up on a transport that never answers, after the call deadline', async () => {
    const agents = fakeAgents((p) => (p.target === 'work' ? { wait: new Promise<void>(() => {}) } : undefined));
    const { reconciler } = reconcilerWith(agents.transport, { callTimeoutMs: 10, attempts: 2, concurrency: 4 });
    const targets = await reconciler.start(install());
    const { results } = await reconciler.wait(targets, 10_000);
    const work = results.find((r) => r.qube === 'work')!;
    assert.equal(work.outcome, 'failed');
    assert.equal(work.error!.code, 'TIMEOUT');
    assert.ok(results.filter((r) => r.qube !== 'work').every((r) => r.outcome === 'done'));
    await reconciler.dispose();
  });

  it('never has more pushes in flight than the concurrency bound', async () => {
    let inFlight = 0;
    let peak = 0;
    const many = Inventory.of([
      ...defaultInstall(),
      ...Array.from({ length: 12 }, (_, i) => qube(`app${i}`, 20 + i, { netvm: 'sys-firewall' })),
    ]);
    const agents = fakeAgents(() => {
      peak = Math.max(peak, ++inFlight);
      return { wait: new Promise<void>((r) => setTimeout(() => (inFlight--, r()), 5)) };
    });
    const { reconciler } = reconcilerWith(agents.transport, { concurrency: 3 });
    await reconciler.start(many);
    await reconciler.idle();
    assert.equal(agents.pushes.length, 5 + 14);
    assert.equal(peak, 3);
  });

  it('a failing qube does not block the others and shows in status and events', async () => {
    const agents = fakeAgents((p) =>
      p.target === 'personal' ? { error: new QrexecFailedError('personal', p.service, 'agent gone') } : undefined,
    );
    const { reconciler } = reconcilerWith(agents.transport, { concurrency: 4 });
    const events: ReconcilerEvent[] = [];
    reconciler.onEvent((e) => events.push(e));
    const targets = await reconciler.start(install());
    const { complete, results } = await reconciler.wait(targets, 5000);
    assert.equal(complete, true);
    assert.deepEqual(
      results.filter((r) => r.outcome !== 'done').map((r) => `${r.qube} ${r.outcome}`),
      ['personal failed'],
    );
    assert.ok(agents.pushes.filter((p) => p.target === 'personal').length >= 3);
    assert.ok(agents.pushes.some((p) => p.target === 'work'));
    const row = reconciler.status().find((r) => r.qube === 'personal')!;
    assert.ok(['retrying', 'pushing', 'queued'].includes(row.state), row.state);
    assert.equal(row.lastError!.code, 'UNAVAILABLE');
    await reconciler.dispose();
    assert.deepEqual(
      events.filter((e) => e.type === 'push-failed').map((e) => [e.qube, e.error?.code]),
      [['personal', 'UNAVAILABLE']],
    );
    assert.equal(events.filter((e) => e.type === 'push-done').length, 6);
  });

  it('a client waits for its provider even with free slots', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const agents = fakeAgents((p) =>
      p.target === 'sys-net' && p.service === 'qubes.NetConfig' ? { wait: gate } : undefined,
    );
    const { reconciler } = reconcilerWith(agents.transport, { concurrency: 16 });
    void reconciler.start(install());
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(sent(agents.pushes), ['sys-net qubes.NetConfig']);
    release();
    await reconciler.idle();
    assert.equal(agents.pushes.length, 7);
  });

  it('a qube holding a higher generation (stale refusal) gets a generation above it', async () => {
    let refused = false;
    const agents = fakeAgents((p) => {
      if (p.target === 'work' && !refused) {
        refused = true;
        return { appliedGeneration: 5_000_000_000 };
      }
      return undefined;
    });
    // A backoff this long would time the test out: a stale refusal is answered at once.
    const { reconciler } = reconcilerWith(agents.transport, { backoffMs: 600_000, maxBackoffMs: 600_000 });
    await reconciler.start(install());
    await reconciler.idle();
    const work = agents.pushes.filter((p) => p.target === 'work');
    assert.equal(work.length, 2);
    assert.ok(work[1].request.generation > 5_000_000_000);
    const row = reconciler.status().find((r) => r.qube === 'work')!;
    assert.deepEqual([row.state, row.applied], ['ok', work[1].request.generation]);
    // Later changes keep going up from there.
    await reconciler.update(change(reconciler.inventory, 'work', { netvm: 'sys-net' }));
    await reconciler.idle();
    assert.ok(agents.pushes.at(-1)!.request.generation > work[1].request.generation);
  });

  it('a replayed push (qnet push) sends the same generation, and an equal answer is an acknowledgement', async () => {
    const { reconciler, pushes, startup } = await started(install());
    const targets = await reconciler.pushAgain(['work']);
    const { results } = await reconciler.wait(targets, 5000);
    assert.deepEqual(sent(pushes), ['work qubes.NetConfig']);
    assert.equal(pushes[0].request.generation, startup.find((p) => p.target === 'work')!.request.generation);
    assert.equal(results[0].outcome, 'done');
    await assert.rejects(reconciler.pushAgain(['nope']), /no such qube "nope"/);
  });

  it('an agent acknowledging an older generation than sent is a failure', async () => {
    const agents = fakeAgents((p) => (p.target === 'work' ? { appliedGeneration: 0 } : undefined));
    const { reconciler } = reconcilerWith(agents.transport);
    await reconciler.start(install());
    await reconciler.idle();
    const row = reconciler.status().find((r) => r.qube === 'work')!;
    assert.ok(['retrying', 'pushing', 'queued'].includes(row.state), row.state);
    assert.match(row.lastError!.message, /acknowledged generation 0 for/);
    await reconciler.dispose();
  });

  it('concurrent changes coalesce: the last change wins for every qube', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let gateNext = false;
    const { reconciler, pushes } = await started(install(), (p) => {
      if (p.target === 'sys-net' && gateNext) {
        gateNext = false;
        return { wait: gate };
      }
      return undefined;
    });
    gateNext = true;
    const base = reconciler.inventory;
    const on = change(base, 'sys-net', { features: { ipv6: '1' } });
    const off = change(on, 'sys-net', { features: { ipv6: '' } });
    const moved = change(off, 'work', { netvm: 'sys-net' });
    await Promise.all([reconciler.update(on), reconciler.update(off), reconciler.update(moved)]);
    release();
    await reconciler.idle();
    // Whatever went out first, the last document each qube got is the final one.
    const last = new Map<string, Push>();
    for (const p of pushes) last.set(`${p.target} ${p.service}`, p);
    for (const p of last.values()) {
      const uplink = uplinkOf(p);
      assert.equal(uplink?.ip6, undefined, `${p.target} ${p.service} has no ip6 in the end`);
    }
    assert.equal(uplinkOf(last.get('work qubes.NetConfig')!)!.gateway, '10.137.0.2');
    // Queued pushes were coalesced: far fewer than three full rounds.
    assert.ok(pushes.filter((p) => p.target === 'personal').length <= 2);
    assert.ok(reconciler.status().every((r) => r.state === 'ok'));
  });

  it('re-plans when a firewall rule expires', async function () {
    const expireAt = Math.floor(Date.now() / 1000) + 1;
    const rules = [parseApiRule(`action=accept expire=${expireAt} proto=tcp dstports=22`), parseApiRule('action=drop')];
    const agents = fakeAgents();
    const { reconciler } = reconcilerWith(agents.transport, {}, { now: () => Date.now() });
    await reconciler.start(install().with({ ...install().get('work')!, firewall: rules }));
    await reconciler.idle();
    agents.pushes.splice(0);
    const deadline = Date.now() + 5000;
    while (agents.pushes.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(sent(agents.pushes), ['sys-firewall qubes.FirewallSync']);
    const work = (agents.pushes[0].request.clients as { name: string; rules: unknown[] }[]).find(
      (c) => c.name === 'work',
    )!;
    assert.deepEqual(work.rules, [{ action: 'drop' }]);
    await reconciler.dispose();
  });

  it('the boot document of a qube is its own NetConfig with its current generation', async () => {
    const { reconciler, startup } = await started(
      install(qube('offline', 20, { power: 'halted', netvm: 'sys-firewall' })),
    );
    const held = reconciler.netConfigFor('offline')!;
    assert.equal(held.document.qube, 'offline');
    assert.ok(held.generation > Math.max(...startup.map((p) => p.request.generation)) - 100);
    assert.equal(reconciler.netConfigFor('nope'), undefined);
    const row = reconciler.status().find((r) => r.qube === 'offline')!;
    assert.equal(row.state, 'halted');
  });
});

import assert from 'node:assert/strict';
import { FirewallSync } from '../../../../services/firewall-sync';
import type { CallContext } from '../../../../shared/contract/call-context';
import { silentLogger } from '../../../../shared/logging/logger';
import { FirewallEngine } from '../../../../vm-side/firewall/firewall-engine';
import { FirewallNotAppliedError } from '../../../../vm-side/firewall/firewall-errors';
import { FirewallSyncHandler } from '../../../../vm-side/firewall/firewall-sync-handler';
import { NameCache } from '../../../../vm-side/firewall/name-cache';
import {
  client,
  FakeClock,
  MemoryStore,
  RecordingConntrack,
  RecordingNft,
  TableResolver,
  writtenChains,
} from './fixtures';

const ctx: CallContext = { service: FirewallSync.name, argument: '', source: 'dom0' };

function setup(store = new MemoryStore()) {
  const nft = new RecordingNft();
  const engine = new FirewallEngine(
    nft,
    new RecordingConntrack(),
    new NameCache(new TableResolver()),
    new FakeClock(),
    silentLogger,
  );
  return { nft, store, handler: new FirewallSyncHandler(engine, store, silentLogger) };
}

describe('FirewallSyncHandler', () => {
  it('applies a newer document, saves it, and answers with its generation', async () => {
    const { nft, store, handler } = setup();
    const res = await handler.handle({ generation: 3, clients: [client(5, [{ action: 'accept' }])] }, ctx);
    assert.deepEqual(res, { appliedGeneration: 3, failures: [] });
    assert.equal(nft.batches.length, 1);
    assert.equal(store.docs.get('qubes.FirewallSync')?.generation, 3);
  });

  it('saves while the kernel applies; a refused document is saved but not held, so dom0 can push it again', async () => {
    const { nft, store, handler } = setup();
    let saving = false;
    const save = store.save.bind(store);
    store.save = async (...args) => {
      saving = true;
      await save(...args);
    };
    nft.failWhen = () => {
      assert.ok(saving, 'the save started before the kernel was asked');
      return true;
    };
    const doc = { generation: 3, clients: [client(5, [{ action: 'accept' }])] };
    await assert.rejects(handler.handle(doc, ctx), FirewallNotAppliedError);
    assert.equal(store.docs.get('qubes.FirewallSync')?.generation, 3);
    nft.failWhen = () => false;
    assert.deepEqual(await handler.handle(doc, ctx), { appliedGeneration: 3, failures: [] });
  });

  it('refuses a push from any qube but dom0, applying nothing', async () => {
    const { nft, handler } = setup();
    assert.throws(() => handler.handle({ generation: 1, clients: [] }, { ...ctx, source: 'work' }), {
      code: 'FORBIDDEN',
    });
    assert.equal(nft.batches.length, 0);
  });

  it('refuses stale and replayed generations with the held one, applying nothing', async () => {
    const { nft, handler } = setup();
    await handler.handle({ generation: 7, clients: [client(5)] }, ctx);
    const stale = await handler.handle({ generation: 6, clients: [client(6)] }, ctx);
    const replay = await handler.handle({ generation: 7, clients: [client(6)] }, ctx);
    assert.deepEqual(stale, { appliedGeneration: 7, failures: [] });
    assert.deepEqual(replay, { appliedGeneration: 7, failures: [] });
    assert.equal(nft.batches.length, 1);
  });

  it('in a fresh process, answers a stale push with the saved generation only once that is in the kernel', async () => {
    const store = new MemoryStore();
    await store.save(FirewallSync.name, 9, { generation: 9, clients: [client(6, [{ action: 'accept' }])] });
    const { nft, handler } = setup(store);
    assert.deepEqual(await handler.handle({ generation: 8, clients: [client(5)] }, ctx), {
      appliedGeneration: 9,
      failures: [],
    });
    assert.deepEqual(writtenChains(nft.batches[0]), ['ip forward', 'ip6 forward']);
    assert.deepEqual(writtenChains(nft.batches[1]), ['ip qbs-10-137-0-6']);
  });

  it('in a fresh process, plans a newer push over what the kernel holds (issue 11 point 2)', async () => {
    const store = new MemoryStore();
    await store.save(FirewallSync.name, 1, { generation: 1, clients: [client(5), client(6)] });
    const { nft, handler } = setup(store);
    // What an earlier process left: the tables, client 5's and client 6's chains.
    nft.listing = [
      { chain: { family: 'ip', table: 'qubes-firewall', name: 'forward', hook: 'forward', policy: 'drop' } },
      { rule: { family: 'ip', table: 'qubes-firewall', chain: 'forward', expr: [{ vmap: { data: '@clients' } }] } },
      { chain: { family: 'ip6', table: 'qubes-firewall', name: 'forward', hook: 'forward', policy: 'drop' } },
      { rule: { family: 'ip6', table: 'qubes-firewall', chain: 'forward', expr: [{ vmap: { data: '@clients' } }] } },
      { chain: { family: 'ip', table: 'qubes-firewall', name: 'qbs-10-137-0-5' } },
      { chain: { family: 'ip', table: 'qubes-firewall', name: 'qbs-10-137-0-5-r1' } },
      { chain: { family: 'ip', table: 'qubes-firewall', name: 'qbs-10-137-0-6' } },
      { chain: { family: 'ip', table: 'qubes-firewall', name: 'qbs-10-137-0-6-r1' } },
    ];
    const res = await handler.handle({ generation: 2, clients: [client(5, [{ action: 'accept' }])] }, ctx);
    assert.deepEqual(res, { appliedGeneration: 2, failures: [] });
    const batch = JSON.stringify(nft.batches[0]);
    assert.ok(batch.includes('"name":"qbs-10-137-0-5-r2"'), 'a new revision after the one in the kernel');
    assert.ok(batch.includes('{"delete":{"chain":{"family":"ip","table":"qubes-firewall","name":"qbs-10-137-0-6"}}}'));
  });

  it('converges: base tables first, then the saved document', async () => {
    const store = new MemoryStore();
    await store.save(FirewallSync.name, 4, { generation: 4, clients: [client(5, [{ action: 'accept' }])] });
    const { nft, handler } = setup(store);
    await handler.converge();
    assert.deepEqual(writtenChains(nft.batches[0]), ['ip forward', 'ip6 forward']);
    assert.deepEqual(writtenChains(nft.batches[1]), ['ip qbs-10-137-0-5']);
    assert.deepEqual(await handler.handle({ generation: 4, clients: [] }, ctx), { appliedGeneration: 4, failures: [] });
  });

  it('ignores a corrupt saved document at start but still fails closed with the base tables', async () => {
    const store = new MemoryStore();
    await store.save(FirewallSync.name, 4, { generation: 4, clients: [{ name: 'x', ip: 'nope' }] });
    const { nft, handler } = setup(store);
    await handler.converge();
    assert.equal(nft.batches.length, 1);
    assert.deepEqual(writtenChains(nft.batches[0]), ['ip forward', 'ip6 forward']);
  });

  it('holds no generation when the saved document cannot be applied at start, so dom0 can push it again', async () => {
    const store = new MemoryStore();
    await store.save(FirewallSync.name, 4, { generation: 4, clients: [client(5, [{ action: 'accept' }])] });
    const { nft, handler } = setup(store);
    nft.failWhen = (cmds) => JSON.stringify(cmds).includes('qbs-');
    await handler.converge();
    nft.failWhen = () => false;
    const res = await handler.handle({ generation: 4, clients: [client(5, [{ action: 'accept' }])] }, ctx);
    assert.deepEqual(res, { appliedGeneration: 4, failures: [] });
    assert.deepEqual(writtenChains(nft.batches.at(-1) ?? []), ['ip qbs-10-137-0-5']);
  });

  it('runs concurrent calls one after the other, so the later generation wins', async () => {
    const { nft, handler } = setup();
    const [a, b] = await Promise.all([
      handler.handle({ generation: 2, clients: [client(5)] }, ctx),
      handler.handle({ generation: 1, clients: [client(6)] }, ctx),
    ]);
    assert.deepEqual([a.appliedGeneration, b.appliedGeneration], [2, 2]);
    assert.equal(nft.batches.length, 1);
  });

  it('reports rule failures in the response, within the schema', async () => {
    const { handler } = setup();
    const res = await handler.handle(
      { generation: 1, clients: [client(5, [{ action: 'accept', dsthost: 'nx.example' }, { action: 'accept' }])] },
      ctx,
    );
    assert.equal(res.failures.length, 1);
    assert.deepEqual({ client: res.failures[0].client, rule: res.failures[0].rule }, { client: 'vm5', rule: 0 });
    assert.ok(FirewallSync.response.safeParse(res).success);
  });
});

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { NetConfigPull } from '../../../../services/net-config';
import { encode } from '../../../../shared/codec/strict-unpackr';
import { silentLogger } from '../../../../shared/logging/logger';
import { ServiceDispatcher } from '../../../../shared/runtime/dispatcher';
import { NetConfigPullHandler } from '../../../../dom0-side/daemon/net-config-pull-handler';
import { Inventory } from '../../../../dom0-side/inventory/inventory';
import { defaultInstall, qube } from '../qube-fixture';
import { fakeAgents, reconcilerWith } from '../reconciler/fake-agents';

const NAMES = ['sys-net', 'sys-firewall', 'work', 'personal', 'asleep'];

async function pullSetup() {
  const { reconciler } = reconcilerWith(fakeAgents().transport);
  await reconciler.start(
    Inventory.of([...defaultInstall(), qube('asleep', 30, { netvm: 'sys-net', power: 'halted' })]),
  );
  await reconciler.idle();
  const dispatcher = new ServiceDispatcher([new NetConfigPullHandler(reconciler)], silentLogger);
  const pull = async (source: string, payload: unknown) => {
    const { envelope } = await dispatcher.dispatch(
      { service: NetConfigPull.name, argument: '', source },
      encode(payload),
    );
    return envelope as
      { ok: true; result: { qube: string; generation: number } } | { ok: false; error: { code: string } };
  };
  return { reconciler, pull };
}

describe('dom0-side/daemon NetConfigPullHandler', () => {
  it("answers with the caller's own document and its current generation", async () => {
    const { reconciler, pull } = await pullSetup();
    const reply = await pull('asleep', {});
    assert.ok(reply.ok);
    assert.equal(reply.result.qube, 'asleep');
    assert.equal(reply.result.generation, reconciler.netConfigFor('asleep')!.generation);
    assert.deepEqual((reply.result as unknown as { uplink: { gateway: string } }).uplink.gateway, '10.137.0.2');
  });

  it('a pull from A never returns B, whatever the payload says', async () => {
    const { pull } = await pullSetup();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...NAMES),
        fc.oneof(
          fc.constant({}),
          fc.record({ qube: fc.constantFrom(...NAMES) }),
          fc.record({ source: fc.constantFrom(...NAMES), generation: fc.nat() }),
          fc.dictionary(fc.string({ maxLength: 8 }), fc.constantFrom(...NAMES)),
        ),
        async (source, payload) => {
          const reply = await pull(source, payload);
          if (reply.ok) assert.equal(reply.result.qube, source);
          else assert.ok(['BAD_REQUEST', 'PAYLOAD_TOO_LARGE'].includes(reply.error.code), reply.error.code);
          return true;
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses an unknown caller and dom0 with NOT_FOUND', async () => {
    const { pull } = await pullSetup();
    for (const source of ['stranger', 'dom0']) {
      const reply = await pull(source, {});
      assert.ok(!reply.ok);
      assert.equal(reply.error.code, 'NOT_FOUND');
    }
    const named = await pull('stranger', { qube: 'work' });
    assert.ok(!named.ok && named.error.code === 'BAD_REQUEST');
  });
});

import assert from 'node:assert/strict';
import sinon from 'sinon';
import type { NetConfigDocument } from '../../../../services/net-config';
import { PolicyDeniedError, QrexecFailedError } from '../../../../shared/errors/client-errors';
import { silentLogger } from '../../../../shared/logging/logger';
import type { ServiceClient } from '../../../../shared/transport/service-client';
import { SerialQueue } from '../../../../shared/runtime/serial-queue';
import { GenerationGate } from '../../../../vm-side/apply/generation-gate';
import type { NetConfigApplier } from '../../../../vm-side/apply/net-config-applier';
import { BootInit } from '../../../../vm-side/boot/boot-init';
import { NetConfigDocument as NetConfigSchema } from '../../../../services/net-config';
import { agentConfigFromEnv } from '../../../../vm-side/config/agent-config';
import { memoryStore } from '../helpers/memory-store';

const doc = (generation: number): NetConfigDocument => ({ generation, qube: 'work' });

function setup(call: sinon.SinonSpy, saved?: NetConfigDocument) {
  const store = memoryStore(saved ? { 'qubes.NetConfig': { generation: saved.generation, document: saved } } : {});
  const apply = sinon.fake.resolves(undefined);
  const applier = { service: 'qubes.NetConfig', schema: NetConfigSchema, apply } as unknown as NetConfigApplier;
  const sleep = sinon.fake.resolves(undefined);
  const config = agentConfigFromEnv({}, { initAttempts: 3, initRetryDelayMs: 100, dom0Target: '@adminvm' });
  const init = new BootInit(
    { call } as unknown as ServiceClient,
    new GenerationGate(store, new SerialQueue(), silentLogger),
    applier,
    store,
    config,
    sleep,
    silentLogger,
  );
  return { init, apply, sleep, store };
}

describe('BootInit', () => {
  it('pulls from @adminvm, retrying with growing delays, then applies and saves', async () => {
    const call = sinon.stub();
    call.onCall(0).rejects(new QrexecFailedError('@adminvm', 'qubes.NetConfig', 'not yet'));
    call.onCall(1).rejects(new QrexecFailedError('@adminvm', 'qubes.NetConfig', 'not yet'));
    call.onCall(2).resolves(doc(4));
    const { init, apply, sleep, store } = setup(call);
    assert.deepEqual(await init.run(), { source: 'dom0', appliedGeneration: 4, attempts: 3 });
    assert.equal(call.firstCall.args[1], '@adminvm');
    assert.deepEqual(call.firstCall.args[2], {});
    assert.deepEqual(
      sleep.args.map((a) => a[0]),
      [100, 200],
    );
    sinon.assert.calledOnce(apply);
    assert.deepEqual(apply.firstCall.args, [doc(4), undefined]);
    assert.equal(store.saved.get('qubes.NetConfig')?.generation, 4);
  });

  it('applies the saved document when dom0 stays unreachable', async () => {
    const call = sinon.stub().rejects(new QrexecFailedError('@adminvm', 'qubes.NetConfig', 'down'));
    const { init, apply } = setup(call, doc(2));
    const outcome = await init.run();
    assert.equal(outcome.source, 'saved');
    assert.equal(call.callCount, 3);
    sinon.assert.calledOnce(apply);
    // The saved document is both the one applied and the previous one: nothing to tear down.
    assert.deepEqual(apply.firstCall.args, [doc(2), doc(2)]);
  });

  it('does not retry a policy refusal, and reports when nothing is saved', async () => {
    const call = sinon.stub().rejects(new PolicyDeniedError('@adminvm', 'qubes.NetConfig'));
    const { init, apply } = setup(call);
    const outcome = await init.run();
    assert.equal(outcome.source, 'none');
    assert.equal(call.callCount, 1);
    sinon.assert.notCalled(apply);
  });

  describe('pullNewer (serve and restart, issue 14)', () => {
    it('applies what dom0 holds when it is newer than the saved document', async () => {
      const { init, apply, store } = setup(sinon.stub().resolves(doc(5)), doc(3));
      await init.pullNewer();
      assert.deepEqual(apply.firstCall.args, [doc(5), doc(3)]);
      assert.equal(store.saved.get('qubes.NetConfig')?.generation, 5);
    });

    it('keeps the saved document when dom0 sends an older one', async () => {
      const { init, apply, store } = setup(sinon.stub().resolves(doc(2)), doc(3));
      await init.pullNewer();
      sinon.assert.notCalled(apply);
      assert.equal(store.saved.get('qubes.NetConfig')?.generation, 3, 'the saved one stays');
    });

    it('changes nothing when dom0 is unreachable, and stops retrying once disposed', async () => {
      const call = sinon.stub().rejects(new QrexecFailedError('@adminvm', 'qubes.NetConfig', 'down'));
      const { init, apply } = setup(call, doc(3));
      await init.pullNewer();
      assert.equal(call.callCount, 3);
      sinon.assert.notCalled(apply);
      await init.dispose();
      await init.pullNewer();
      assert.equal(call.callCount, 3, 'no call after dispose');
    });
  });
});

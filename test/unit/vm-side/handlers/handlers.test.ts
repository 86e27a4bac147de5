import assert from 'node:assert/strict';
import sinon from 'sinon';
import type { DnsUpdateApplier } from '../../../../vm-side/apply/dns-update-applier';
import type { GenerationGate } from '../../../../vm-side/apply/generation-gate';
import type { NetConfigApplier } from '../../../../vm-side/apply/net-config-applier';
import { DnsUpdateHandler } from '../../../../vm-side/handlers/dns-update-handler';
import { NetConfigHandler } from '../../../../vm-side/handlers/net-config-handler';
import { silentLogger } from '../../../../shared/logging/logger';
import { AppliedLaterError } from '../../../../shared/errors/qnet-error';
import { exitCodeFor } from '../../../../shared/errors/codes';
import { toWireError } from '../../../../shared/errors/to-wire-error';
import { DEFAULT_SOCKET_SERVER_OPTIONS } from '../../../../shared/runtime/socket-server';
import { DEFAULT_ANSWER_DEADLINE_MS } from '../../../../vm-side/apply/answer-deadline';

const ctx = (source: string, service = 'qubes.NetConfig') => ({ service, argument: '', source });

describe('NetConfigHandler', () => {
  it('submits dom0 pushes through the generation gate', async () => {
    const submit = sinon.fake.resolves({ appliedGeneration: 7 });
    const applier = {} as NetConfigApplier;
    const handler = new NetConfigHandler({ submit } as unknown as GenerationGate, applier, 8000, silentLogger);
    const doc = { generation: 7, qube: 'work' };
    assert.deepEqual(await handler.handle(doc, ctx('dom0')), { appliedGeneration: 7 });
    sinon.assert.calledOnceWithExactly(submit, applier, doc);
  });

  it('answers TIMEOUT_APPLIED_LATER, not a bare timeout, when the apply outlives its deadline, and logs the outcome', async () => {
    let finish!: () => void;
    const submit = sinon.fake(
      () => new Promise<{ appliedGeneration: number }>((resolve) => (finish = () => resolve({ appliedGeneration: 8 }))),
    );
    const infos: string[] = [];
    const log = { ...silentLogger, info: (msg: string) => void infos.push(msg) };
    const handler = new NetConfigHandler({ submit } as unknown as GenerationGate, {} as NetConfigApplier, 20, log);
    const err = await handler.handle({ generation: 8, qube: 'work' }, ctx('dom0')).then(
      () => assert.fail('answered before the apply finished'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof AppliedLaterError);
    assert.deepEqual(toWireError(err), {
      code: 'TIMEOUT_APPLIED_LATER',
      message: 'qubes.NetConfig generation 8 accepted and still applying after 20 ms; push it again for the outcome',
    });
    assert.equal(exitCodeFor('TIMEOUT_APPLIED_LATER'), 75);
    // The agent answers before the socket form's own deadline would answer a bare TIMEOUT.
    assert.ok(DEFAULT_ANSWER_DEADLINE_MS < DEFAULT_SOCKET_SERVER_OPTIONS.callTimeoutMs);
    finish();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(infos, ['qubes.NetConfig: generation 8 applied after the answer']);
  });

  it('refuses a push from any other qube, whatever the payload says', async () => {
    const submit = sinon.fake.resolves({ appliedGeneration: 1 });
    const handler = new NetConfigHandler(
      { submit } as unknown as GenerationGate,
      {} as NetConfigApplier,
      8000,
      silentLogger,
    );
    await assert.rejects(handler.handle({ generation: 1, qube: 'dom0' }, ctx('work')), {
      code: 'FORBIDDEN',
      message: 'qubes.NetConfig is accepted from dom0 only, not "work"',
    });
    sinon.assert.notCalled(submit);
  });
});

describe('DnsUpdateHandler', () => {
  it('submits the upstream list through the generation gate', async () => {
    const submit = sinon.fake.resolves({ appliedGeneration: 2 });
    const applier = { overrideInForce: async () => undefined } as unknown as DnsUpdateApplier;
    const doc = { generation: 2, upstream: ['192.0.2.53'] };
    const res = await new DnsUpdateHandler({ submit } as unknown as GenerationGate, applier, 8000, silentLogger).handle(
      doc,
      ctx('dom0', 'qubes.DnsUpdate'),
    );
    assert.deepEqual(res, { appliedGeneration: 2 });
    sinon.assert.calledOnceWithExactly(submit, applier, doc);
  });

  it('refuses an update from any qube but dom0 (defence behind the policy)', async () => {
    const submit = sinon.fake.resolves({ appliedGeneration: 2 });
    const handler = new DnsUpdateHandler(
      { submit } as unknown as GenerationGate,
      {} as DnsUpdateApplier,
      8000,
      silentLogger,
    );
    await assert.rejects(handler.handle({ generation: 2, upstream: ['192.0.2.66'] }, ctx('work', 'qubes.DnsUpdate')), {
      code: 'FORBIDDEN',
    });
    sinon.assert.notCalled(submit);
  });
});

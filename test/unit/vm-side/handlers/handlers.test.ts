import assert from 'node:assert/strict';
import sinon from 'sinon';
import type { DnsUpdateApplier } from '../../../../vm-side/apply/dns-update-applier';
import type { GenerationGate } from '../../../../vm-side/apply/generation-gate';
import type { NetConfigApplier } from '../../../../vm-side/apply/net-config-applier';
import { DnsUpdateHandler } from '../../../../vm-side/handlers/dns-update-handler';
import { NetConfigHandler } from '../../../../vm-side/handlers/net-config-handler';

const ctx = (source: string, service = 'qubes.NetConfig') => ({ service, argument: '', source });

describe('NetConfigHandler', () => {
  it('submits dom0 pushes through the generation gate', async () => {
    const submit = sinon.fake.resolves({ appliedGeneration: 7 });
    const applier = {} as NetConfigApplier;
    const handler = new NetConfigHandler({ submit } as unknown as GenerationGate, applier);
    const doc = { generation: 7, qube: 'work' };
    assert.deepEqual(await handler.handle(doc, ctx('dom0')), { appliedGeneration: 7 });
    sinon.assert.calledOnceWithExactly(submit, applier, doc);
  });

  it('refuses a push from any other qube, whatever the payload says', async () => {
    const submit = sinon.fake.resolves({ appliedGeneration: 1 });
    const handler = new NetConfigHandler({ submit } as unknown as GenerationGate, {} as NetConfigApplier);
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
    const applier = {} as DnsUpdateApplier;
    const doc = { generation: 2, upstream: ['192.0.2.53'] };
    const res = await new DnsUpdateHandler({ submit } as unknown as GenerationGate, applier).handle(
      doc,
      ctx('dom0', 'qubes.DnsUpdate'),
    );
    assert.deepEqual(res, { appliedGeneration: 2 });
    sinon.assert.calledOnceWithExactly(submit, applier, doc);
  });

  it('refuses an update from any qube but dom0 (defence behind the policy)', async () => {
    const submit = sinon.fake.resolves({ appliedGeneration: 2 });
    const handler = new DnsUpdateHandler({ submit } as unknown as GenerationGate, {} as DnsUpdateApplier);
    await assert.rejects(handler.handle({ generation: 2, upstream: ['192.0.2.66'] }, ctx('work', 'qubes.DnsUpdate')), {
      code: 'FORBIDDEN',
    });
    sinon.assert.notCalled(submit);
  });
});

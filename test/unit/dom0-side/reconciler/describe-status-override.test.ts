import assert from 'node:assert/strict';
import { describeStatus } from '../../../../dom0-side/reconciler/describe-status';
import type { KeyState } from '../../../../dom0-side/reconciler/key-state';
import type { QubeDocument } from '../../../../dom0-side/documents/document-types';
import { readReply } from '../../../../dom0-side/reconciler/push-reply';

const doc = { qube: 'sys-vpn', service: 'qubes.DnsUpdate', body: { upstream: [] }, canonical: '' } as QubeDocument;
const activity = { running: true, queued: false, now: 0, reportAfter: 4 };
const state = (localOverride?: string[]): KeyState => ({
  qube: 'sys-vpn',
  service: 'qubes.DnsUpdate',
  desired: { doc, generation: 5 },
  applied: { generation: 5, at: 0, ruleFailures: [], ...(localOverride ? { localOverride } : {}) },
  requested: 1,
  acknowledged: 1,
  reportedFailed: 0,
});

describe('status of a qube whose DNS is overridden locally', () => {
  it('is converged (not unacknowledged forever) and names the servers really in force', () => {
    const s = describeStatus(state(['198.51.100.153']), activity);
    assert.equal(s?.state, 'ok');
    assert.match(s?.reason ?? '', /own DNS override \(198\.51\.100\.153\).*dns-update --clear/);
  });

  it('an override with no server says DNS is dropped; no override: plain ok', () => {
    assert.match(describeStatus(state([]), activity)?.reason ?? '', /none, DNS dropped/);
    assert.equal(describeStatus(state(), activity)?.reason, undefined);
  });

  it("the agent's answer carries the override through to the reconciler", () => {
    assert.deepEqual(readReply({ appliedGeneration: 5, localOverride: ['198.51.100.153'] }), {
      appliedGeneration: 5,
      localOverride: ['198.51.100.153'],
    });
    assert.deepEqual(readReply({ appliedGeneration: 5 }), { appliedGeneration: 5 });
  });
});

import assert from 'node:assert/strict';
import { AccessDeniedError } from '../../../policy/errors';
import { PolicyEngineHook } from '../../../sim/qrexec/policy-engine-hook';
import type { PolicySnapshot } from '../../../policy/policy-source';
import { policyFromFiles, sampleInfo, TempTree } from '../policy/policy-fixtures';

describe('sim/qrexec/policy-engine-hook', () => {
  let tree: TempTree;
  let snapshot: PolicySnapshot;
  const hook = () => new PolicyEngineHook({ current: () => snapshot });
  beforeEach(() => {
    tree = new TempTree();
    const state = policyFromFiles(tree, {
      '30-sim.policy': [
        'qubes.NetConfig * @anyvm @adminvm allow',
        'qubes.Echo +x work @default allow target=vault',
        'qubes.Echo * work @anyvm ask',
        'qubes.Echo * @anyvm @anyvm deny',
      ].join('\n'),
    });
    snapshot = { state, info: sampleInfo() };
  });
  afterEach(() => tree.dispose());

  it('allows with the resolved target', () => {
    assert.deepEqual(
      hook().evaluate({ source: 'work', target: '@adminvm', service: 'qubes.NetConfig', argument: '' }),
      {
        allow: true,
        target: 'dom0',
      },
    );
    assert.deepEqual(hook().evaluate({ source: 'work', target: '@default', service: 'qubes.Echo', argument: 'x' }), {
      allow: true,
      target: 'vault',
    });
  });

  it('refuses ask, since nobody can answer in the simulation', () => {
    const v = hook().evaluate({ source: 'work', target: 'personal', service: 'qubes.Echo', argument: '' });
    assert.equal(v.allow, false);
    assert.match(v.allow ? '' : v.reason, /^ask at .*30-sim\.policy:3: nobody can answer a prompt/);
  });

  it('refuses deny with upstream reason', () => {
    const v = hook().evaluate({ source: 'personal', target: 'work', service: 'qubes.Echo', argument: '' });
    assert.match(v.allow ? '' : v.reason, /^denied by policy .*30-sim\.policy:4$/);
  });

  it('denies everything while the policy is broken, and picks up a new snapshot', () => {
    const h = hook();
    snapshot = { state: new AccessDeniedError('x:1: bad'), info: sampleInfo() };
    assert.deepEqual(h.evaluate({ source: 'work', target: '@adminvm', service: 'qubes.NetConfig', argument: '' }), {
      allow: false,
      reason: 'x:1: bad',
    });
  });
});

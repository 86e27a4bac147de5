import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateRequest } from '../../../policy/evaluator/evaluate';
import { view } from './evaluation-view';
import { decisionOf } from '../../../policy/evaluator/describe-evaluation';
import { IndexedPolicy } from '../../../policy/evaluator/indexed-policy';
import { loadPolicyRules } from '../../../policy/loader/load-policy';
import { sampleInfo } from './policy-fixtures';

// The compiled test sits four levels below the package root, in dist/ or a .build-* folder.
const SHIPPED = join(__dirname, '..', '..', '..', '..', 'policy', 'policy.d');

describe('shipped policy (policy/policy.d)', () => {
  before(function () {
    if (!existsSync(SHIPPED)) this.skip();
  });
  const decide = (service: string, source: string, target: string) => {
    const policy = new IndexedPolicy(loadPolicyRules([SHIPPED]));
    return view(evaluateRequest(policy, sampleInfo(), { service, argument: '+', source, target }));
  };

  it('lets any qube pull its own NetConfig from dom0', () => {
    for (const source of ['work', 'vault', 'default-dvm', 'fedora-41']) {
      for (const target of ['@adminvm', 'dom0']) {
        const e = decide('qubes.NetConfig', source, target);
        assert.equal(decisionOf(e), 'allow', `${source} -> ${target}`);
        assert.equal(e.resolution?.kind === 'allow' && e.resolution.target, 'dom0');
      }
    }
  });

  it('refuses every qnet service between qubes, including disposables and the default target', () => {
    const targets = ['personal', 'vault', '@dispvm', '@dispvm:other-dvm', '@default', ''];
    for (const service of ['qubes.NetConfig', 'qubes.DnsUpdate', 'qubes.FirewallSync']) {
      for (const target of targets) {
        const e = decide(service, 'work', target);
        assert.equal(decisionOf(e), 'deny', `${service} work -> ${JSON.stringify(target)}`);
        assert.ok(e.rule !== null, 'refused by a rule of the shipped file, not by falling through');
      }
    }
  });

  it('refuses DnsUpdate and FirewallSync to dom0, which does not serve them', () => {
    for (const service of ['qubes.DnsUpdate', 'qubes.FirewallSync']) {
      assert.equal(decisionOf(decide(service, 'work', '@adminvm')), 'deny');
    }
  });

  it('leaves other services to other policy files', () => {
    assert.equal(decide('qubes.Filecopy', 'work', 'personal').rule, null);
  });
});

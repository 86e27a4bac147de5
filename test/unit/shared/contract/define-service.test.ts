import assert from 'node:assert/strict';
import { z } from 'zod';
import { AGENT_SERVICES, DOM0_SERVICES } from '../../../../services';
import { defineService } from '../../../../shared/contract/define-service';

const def = (runAs?: string) =>
  defineService({ name: 'test.Svc', summary: 't', request: z.strictObject({}), response: z.strictObject({}), runAs });

describe('defineService: runAs', () => {
  it('defaults to qrexec’s DEFAULT and accepts a user name', () => {
    assert.equal(def().runAs, 'DEFAULT');
    assert.equal(def('root').runAs, 'root');
  });

  it('refuses what is not a user name', () => {
    for (const bad of ['', 'root:QUBESRPC', 'a b', 'Root', '-x']) assert.throws(() => def(bad), /invalid runAs/);
  });

  it('runs the three network services as root, and nothing else', () => {
    const roots = [...AGENT_SERVICES.values(), ...DOM0_SERVICES.values()]
      .filter((s) => s.runAs === 'root')
      .map((s) => s.name)
      .sort();
    assert.deepEqual(roots, ['qubes.DnsUpdate', 'qubes.FirewallSync', 'qubes.NetConfig']);
  });
});

import assert from 'node:assert/strict';
import { container } from 'tsyringe';
import { ServiceHandler } from '../../../../shared/contract/service-handler';
import { Logger, silentLogger } from '../../../../shared/logging/logger';
import { CommandRunner } from '../../../../shared/exec/command-runner';
import { NftExecutor } from '../../../../vm-side/executors/nft-executor';
import { DocumentStore } from '../../../../vm-side/state/document-store';
import { Clock } from '../../../../vm-side/firewall/clock';
import { FirewallSyncHandler } from '../../../../vm-side/firewall/firewall-sync-handler';
import { NodeTextFiles, TextFiles } from '../../../../vm-side/executors/text-files';
import { registerFirewall } from '../../../../vm-side/firewall/register-firewall';
import { FakeClock, MemoryStore, RecordingNft } from './fixtures';

describe('registerFirewall', () => {
  it('registers a resolvable handler for qubes.FirewallSync, the same instance the agent converges', () => {
    const c = container.createChildContainer();
    c.register(Logger, { useValue: silentLogger });
    c.register(CommandRunner, { useValue: { exec: () => Promise.reject(new Error('no commands in this test')) } });
    c.register(NftExecutor, { useValue: new RecordingNft() });
    c.register(DocumentStore, { useValue: new MemoryStore() });
    c.register(TextFiles, { useClass: NodeTextFiles });
    const clock = new FakeClock();
    c.register(Clock, { useValue: clock });
    registerFirewall(c);
    const handlers = c.resolveAll(ServiceHandler);
    assert.deepEqual(
      handlers.map((h) => h.service.name),
      ['qubes.FirewallSync'],
    );
    assert.equal(handlers[0], c.resolve(FirewallSyncHandler));
    assert.equal(c.resolve(Clock), clock, 'a seam registered by the root is kept');
  });
});

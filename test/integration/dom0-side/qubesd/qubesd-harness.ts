import { join } from 'node:path';
import { silentLogger } from '../../../../shared/logging/logger';
import { DEFAULT_QUBESD_CONFIG, type QubesdConfig } from '../../../../dom0-side/qubesd/qubesd-config';
import { QubesdInventoryBackend } from '../../../../dom0-side/qubesd/qubesd-inventory-backend';
import { SocketQubesdClient } from '../../../../dom0-side/qubesd/socket-qubesd-client';
import { FakeQubesd } from '../../../fixtures/fake-qubesd';
import { tempDir } from '../../../helpers/processes';

/** A fake qubesd on a socket in a temp dir, and a client and backend pointed at it; `dispose` removes it all. */
export async function startHarness(overrides: Partial<QubesdConfig> = {}) {
  const dir = tempDir('qubesd');
  const socketPath = join(dir.path, 'qubesd.sock');
  const fake = new FakeQubesd();
  await fake.start(socketPath);
  const config: QubesdConfig = {
    ...DEFAULT_QUBESD_CONFIG,
    socketPath,
    callTimeoutMs: 5000,
    coalesceMs: 20,
    reconnectMinMs: 20,
    reconnectMaxMs: 200,
    ...overrides,
  };
  const client = new SocketQubesdClient(config);
  const backend = new QubesdInventoryBackend(client, config, silentLogger);
  return {
    fake,
    client,
    backend,
    config,
    socketPath,
    async dispose() {
      await backend.dispose();
      await fake.stop();
      dir.dispose();
    },
  };
}

/** sys-net → sys-firewall → {work, personal}, as a default install reports it. */
export function seedDefaultInstall(fake: FakeQubesd): void {
  fake.addDomain({ name: 'sys-net', qid: 2, netvm: null, providesNetwork: true, state: 'Running' }, false);
  fake.addDomain({ name: 'sys-firewall', qid: 3, netvm: 'sys-net', providesNetwork: true, state: 'Running' }, false);
  fake.addDomain({ name: 'work', qid: 10, state: 'Running' }, false);
  fake.addDomain({ name: 'personal', qid: 11 }, false);
}

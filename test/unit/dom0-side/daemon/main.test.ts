import assert from 'node:assert/strict';
import { silentLogger } from '../../../../shared/logging/logger';
import type { Transport } from '../../../../shared/transport/transport';
import { parseDaemonConfig, type DaemonConfig } from '../../../../dom0-side/daemon/daemon-config';
import { buildQnetdContainer } from '../../../../dom0-side/daemon/main';
import { Qnetd } from '../../../../dom0-side/daemon/qnetd';
import { EmbeddedInventoryBackend } from '../../../../dom0-side/inventory/embedded-backend';
import { InventoryBackend } from '../../../../dom0-side/inventory/inventory-backend';
import { QubesdInventoryBackend } from '../../../../dom0-side/qubesd/index';

const transport: Transport = { invoke: async () => Buffer.alloc(0) };

describe('dom0-side/daemon composition root', () => {
  it('takes flags over the environment over the defaults', () => {
    const env = { QNET_STATE_DIR: '/s', QNET_RUN_DIR: '/r', QNET_ROUTER_SOCKET: '/router' };
    const fromEnv = parseDaemonConfig([], env) as DaemonConfig;
    assert.deepEqual(
      [fromEnv.stateDir, fromEnv.runDir, fromEnv.routerSocket, fromEnv.qubesd],
      ['/s', '/r', '/router', false],
    );
    const flags = parseDaemonConfig(
      ['--run-dir', '/x', '--qubesd', '--qubesd-socket', '/q', '--log-json'],
      env,
    ) as DaemonConfig;
    assert.deepEqual([flags.runDir, flags.qubesd, flags.qubesdSocket, flags.logJson], ['/x', true, '/q', true]);
    const defaults = parseDaemonConfig([], {}) as DaemonConfig;
    assert.deepEqual(
      [defaults.stateDir, defaults.runDir, defaults.routerSocket],
      ['/var/lib/qnet', '/run/qnet', undefined],
    );
    assert.equal(parseDaemonConfig(['--help'], {}), 'help');
    assert.throws(() => parseDaemonConfig(['--bogus'], {}), /bogus/);
  });

  for (const qubesd of [false, true]) {
    it(`resolves qnetd with every registration in place (${qubesd ? 'qubesd' : 'embedded store'})`, () => {
      const config = parseDaemonConfig(qubesd ? ['--qubesd'] : [], { QNET_STATE_DIR: '/nonexistent' }) as DaemonConfig;
      const c = buildQnetdContainer(config, {}, { transport, logger: silentLogger });
      assert.ok(c.resolve(Qnetd) instanceof Qnetd);
      assert.ok(c.resolve(InventoryBackend) instanceof (qubesd ? QubesdInventoryBackend : EmbeddedInventoryBackend));
    });
  }
});

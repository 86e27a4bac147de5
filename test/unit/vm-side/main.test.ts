import assert from 'node:assert/strict';
import sinon from 'sinon';
import { silentLogger } from '../../../shared/logging/logger';
import { ServiceDispatcher } from '../../../shared/runtime/dispatcher';
import { SocketServer } from '../../../shared/runtime/socket-server';
import { BootInit } from '../../../vm-side/boot/boot-init';
import { Converger } from '../../../vm-side/boot/converge';
import { agentConfigFromEnv } from '../../../vm-side/config/agent-config';
import { FirewallHooks } from '../../../vm-side/firewall-hooks/firewall-hooks';
import { agentCommands, buildAgentContainer } from '../../../vm-side/main';

describe('qnet-agent composition root', () => {
  it('resolves every top object with fake kernel and transport seams', async () => {
    const seams = {
      runner: { exec: sinon.fake.resolves({ stdout: '[]', stderr: '' }) },
      transport: { invoke: sinon.fake.rejects(new Error('unused')) },
      logger: silentLogger,
    };
    const c = buildAgentContainer(agentConfigFromEnv({}, { stateDir: '/nonexistent/qnet' }), {}, seams);
    const dispatcher = c.resolve(ServiceDispatcher);
    assert.deepEqual(dispatcher.serviceNames, [
      'qnet.Ping',
      'qubes.DnsUpdate',
      'qubes.FirewallSync',
      'qubes.NetConfig',
    ]);
    assert.ok(c.resolve(SocketServer));
    assert.ok(c.resolve(BootInit));
    assert.ok(c.resolve(Converger));
    assert.ok(c.resolve(FirewallHooks));
    await c.dispose();
  });

  it('offers every command with --help', () => {
    assert.deepEqual(
      agentCommands().map((cmd) => cmd.name),
      ['service', 'serve', 'init', 'dns-update', 'install'],
    );
  });

  it('takes paths from the environment, flags overriding it', () => {
    const config = agentConfigFromEnv(
      { QNET_STATE_DIR: '/s', QNET_RUN_DIR: '/r', QNET_RESOLV_CONF: '/x/resolv.conf', QNET_SYSCTL_ROOT: '/p' },
      { runDir: '/flag' },
    );
    assert.equal(config.stateDir, '/s');
    assert.equal(config.runDir, '/flag');
    assert.equal(config.resolvConf, '/x/resolv.conf');
    assert.equal(config.sysctlRoot, '/p');
    assert.equal(agentConfigFromEnv({}).dom0Target, '@adminvm');
    assert.equal(agentConfigFromEnv({}).hooksRoot, '');
    const hooks = agentConfigFromEnv({ QNET_HOOKS_ROOT: '/sim/work/root', QNET_HOOK_TIMEOUT_MS: '500' });
    assert.equal(hooks.hooksRoot, '/sim/work/root');
    assert.equal(hooks.hookTimeoutMs, 500);
  });
});

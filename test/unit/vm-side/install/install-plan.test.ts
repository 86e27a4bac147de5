import assert from 'node:assert/strict';
import { DnsUpdate, NetConfig, Ping } from '../../../../services';
import { planInstall } from '../../../../vm-side/install/install-plan';

const templates = new Map([
  ['qnet-agent-init.service', 'ExecStart=@AGENT_BIN@ init\nEnvironment=QNET_STATE_DIR=@STATE_DIR@\n'],
  ['qnet-agent.service', 'ExecStart=@AGENT_BIN@ serve --socket @SOCKET@\n'],
  ['qrexec-service.sh', '#!/bin/sh\nexec @AGENT_BIN@ service @SERVICE@\n'],
  ['nm-dispatcher-dns-update.sh', '#!/bin/sh\nexec @AGENT_BIN@ dns-update --from-system\n'],
]);
const opts = {
  agentBin: '/usr/bin/qnet-agent',
  stateDir: '/var/lib/qnet-agent',
  runDir: '/run/qnet-agent',
  services: [NetConfig, DnsUpdate, Ping],
  templates,
};

describe('planInstall', () => {
  it('lays units, tmpfiles socket links, executable fallbacks and the NM hook', () => {
    const entries = planInstall(opts);
    const byPath = new Map(entries.map((e) => [e.path, e]));
    assert.deepEqual(
      [...byPath.keys()],
      [
        '/usr/lib/systemd/system/qnet-agent-init.service',
        '/usr/lib/systemd/system/qnet-agent.service',
        '/usr/lib/tmpfiles.d/qnet-agent.conf',
        '/etc/qubes-rpc/qubes.NetConfig',
        '/etc/qubes-rpc/qubes.DnsUpdate',
        '/etc/qubes-rpc/qnet.Ping',
        '/etc/qubes/rpc-config/qubes.NetConfig',
        '/etc/qubes/rpc-config/qubes.DnsUpdate',
        '/etc/NetworkManager/dispatcher.d/30-qnet-dns-update',
        '/etc/systemd/system/network.target.wants/qnet-agent-init.service',
        '/etc/systemd/system/multi-user.target.wants/qnet-agent.service',
      ],
    );
    assert.deepEqual(byPath.get('/usr/lib/systemd/system/qnet-agent.service'), {
      kind: 'file',
      path: '/usr/lib/systemd/system/qnet-agent.service',
      content: 'ExecStart=/usr/bin/qnet-agent serve --socket /run/qnet-agent/agent.sock\n',
      mode: 0o644,
    });
    const tmpfiles = byPath.get('/usr/lib/tmpfiles.d/qnet-agent.conf');
    assert.ok(tmpfiles?.kind === 'file');
    assert.ok(tmpfiles.content.includes('L+ /run/qubes-rpc/qubes.NetConfig - - - - /run/qnet-agent/agent.sock\n'));
    const fallback = byPath.get('/etc/qubes-rpc/qubes.DnsUpdate');
    assert.deepEqual(fallback?.kind === 'file' && [fallback.content, fallback.mode], [
      '#!/bin/sh\nexec /usr/bin/qnet-agent service qubes.DnsUpdate\n',
      0o755,
    ]);
  });

  it("lays upstream's rpc-config with force-user='root' for the services that run as root, and only those", () => {
    const configs = planInstall(opts).filter((e) => e.path.startsWith('/etc/qubes/rpc-config/'));
    assert.deepEqual(
      configs.map(
        (e) => e.kind === 'file' && [e.path, e.mode, e.content.split('\n').filter((l) => !l.startsWith('#'))],
      ),
      [
        ['/etc/qubes/rpc-config/qubes.NetConfig', 0o644, ["force-user='root'", '']],
        ['/etc/qubes/rpc-config/qubes.DnsUpdate', 0o644, ["force-user='root'", '']],
      ],
    );
  });

  it('installs the V8 snapshot beside the fallbacks when the build made one', () => {
    const without = planInstall(opts);
    assert.equal(
      without.find((e) => e.kind === 'copy'),
      undefined,
    );
    const withBlob = planInstall({ ...opts, agentBlob: '/src/dist/qnet-agent.blob' });
    assert.deepEqual(
      withBlob.find((e) => e.kind === 'copy'),
      { kind: 'copy', path: '/usr/lib/qnet/qnet-agent.blob', from: '/src/dist/qnet-agent.blob', mode: 0o644 },
    );
  });

  it('fails clearly when a packaging template is missing', () => {
    assert.throws(
      () => planInstall({ ...opts, templates: new Map() }),
      /packaging template qnet-agent-init.service is missing/,
    );
  });
});

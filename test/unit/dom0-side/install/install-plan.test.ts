import assert from 'node:assert/strict';
import { managedDirectoryName, planDom0Install } from '../../../../dom0-side/install/install-plan';

const UNIT_TEMPLATE = [
  '[Unit]',
  '@ORDERING@',
  '[Service]',
  'StateDirectory=@STATE_DIRECTORY@',
  'RuntimeDirectory=@RUNTIME_DIRECTORY@',
  'ExecStart=@QNETD_BIN@ --state-dir @STATE_DIR@ --run-dir @RUN_DIR@@QUBESD_FLAG@',
  '',
].join('\n');

const opts = {
  qnetdBin: '/usr/bin/qnetd',
  stateDir: '/var/lib/qnet',
  runDir: '/run/qnet',
  qubesd: false,
  services: ['qubes.NetConfig', 'qnet.Ping'],
  templates: new Map([['qnetd.service', UNIT_TEMPLATE]]),
  policyFile: '/src/policy/policy.d/50-qnet.policy',
};

describe('planDom0Install', () => {
  it('lays the unit, socket-form qrexec links, the policy and the enable link, exactly', () => {
    assert.deepEqual(planDom0Install(opts), [
      {
        kind: 'file',
        path: '/usr/lib/systemd/system/qnetd.service',
        content: [
          '[Unit]',
          '[Service]',
          'StateDirectory=qnet',
          'RuntimeDirectory=qnet',
          'ExecStart=/usr/bin/qnetd --state-dir /var/lib/qnet --run-dir /run/qnet',
          '',
        ].join('\n'),
        mode: 0o644,
      },
      { kind: 'symlink', path: '/etc/qubes-rpc/qubes.NetConfig', target: '/run/qnet/qrexec.sock' },
      { kind: 'symlink', path: '/etc/qubes-rpc/qnet.Ping', target: '/run/qnet/qrexec.sock' },
      {
        kind: 'copy',
        path: '/etc/qubes/policy.d/50-qnet.policy',
        from: '/src/policy/policy.d/50-qnet.policy',
        mode: 0o644,
      },
      {
        kind: 'symlink',
        path: '/etc/systemd/system/multi-user.target.wants/qnetd.service',
        target: '/usr/lib/systemd/system/qnetd.service',
      },
    ]);
  });

  it('with qubesd, starts after qubesd.service and passes --qubesd', () => {
    const [unit] = planDom0Install({ ...opts, qubesd: true });
    assert.ok(unit.kind === 'file');
    assert.equal(
      unit.content,
      [
        '[Unit]',
        'After=qubesd.service',
        '[Service]',
        'StateDirectory=qnet',
        'RuntimeDirectory=qnet',
        'ExecStart=/usr/bin/qnetd --state-dir /var/lib/qnet --run-dir /run/qnet --qubesd',
        '',
      ].join('\n'),
    );
  });

  it('names nested systemd directories and points the links at the run dir given', () => {
    const entries = planDom0Install({ ...opts, stateDir: '/var/lib/qubes/qnet/', runDir: '/run/qnet/dom0/' });
    const unit = entries[0];
    assert.ok(unit.kind === 'file');
    assert.match(unit.content, /^StateDirectory=qubes\/qnet$/m);
    assert.match(unit.content, /^RuntimeDirectory=qnet\/dom0$/m);
    assert.match(unit.content, /--state-dir \/var\/lib\/qubes\/qnet --run-dir \/run\/qnet\/dom0$/m);
    assert.deepEqual(entries[1], {
      kind: 'symlink',
      path: '/etc/qubes-rpc/qubes.NetConfig',
      target: '/run/qnet/dom0/qrexec.sock',
    });
  });

  it('refuses directories systemd cannot create', () => {
    for (const dir of ['/srv/qnet', '/var/lib', '/var/lib/', '/var/library/qnet', '/var/lib/../etc', '/var/lib//x']) {
      assert.equal(managedDirectoryName('/var/lib', dir), undefined, dir);
    }
    assert.throws(() => planDom0Install({ ...opts, runDir: '/tmp/qnet' }), /\/tmp\/qnet is not under \/run/);
  });

  it('fails clearly when the unit template is missing', () => {
    assert.throws(
      () => planDom0Install({ ...opts, templates: new Map() }),
      /packaging template qnetd.service is missing/,
    );
  });
});

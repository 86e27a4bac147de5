import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './package-fixture';

const HOOKS = join(REPO, 'packaging', 'files', 'agent', 'qnet-firewall-hooks');

// The script qnet-firewall-hooks.service runs: upstream's qubes-firewall
// customization points, in upstream's order (qubesagent/firewall.py:
// run_firewall_dir, then run_user_script), in a throw-away root.
describe('integration: packaging, the qubes-firewall user hooks', () => {
  let root: string;
  const log = () => join(root, 'log');
  const script = (path: string, body: string, mode = 0o755) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), `#!/bin/sh\n${body}\n`, { mode });
  };
  const logs = (name: string, exit = 0) => `echo ${name} >> "${log()}"; exit ${exit}`;
  const run = () => {
    const r = spawnSync('sh', [HOOKS], {
      encoding: 'utf8',
      env: { ...process.env, QNET_HOOKS_ROOT: root, LC_ALL: 'C' },
    });
    const lines = existsSync(log()) ? readFileSync(log(), 'utf8').trim().split('\n') : [];
    return { status: r.status, stderr: r.stderr, lines };
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'qnet-hooks-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('runs /etc/qubes/qubes-firewall.d, then /rw/config/qubes-firewall.d (each sorted), then the user script', () => {
    script('etc/qubes/qubes-firewall.d/20-b', logs('etc-20'));
    script('etc/qubes/qubes-firewall.d/10-a', logs('etc-10'));
    script('rw/config/qubes-firewall.d/05-z', logs('rw-05'));
    script('rw/config/qubes-firewall-user-script', logs('user'));
    const r = run();
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.lines, ['etc-10', 'etc-20', 'rw-05', 'user']);
  });

  it('skips files that are not executable; a failing script is reported and the rest still run', () => {
    script('etc/qubes/qubes-firewall.d/10-off', logs('off'), 0o644);
    script('etc/qubes/qubes-firewall.d/20-fails', logs('fails', 3));
    script('rw/config/qubes-firewall-user-script', logs('user'));
    const r = run();
    assert.equal(r.status, 1);
    assert.match(r.stderr, /20-fails failed \(3\)/);
    assert.deepEqual(r.lines, ['fails', 'user']);
  });

  it('with custom-persist on, only /etc/qubes/qubes-firewall.d runs (as upstream)', () => {
    script('run/qubes-service/custom-persist', '', 0o644);
    script('etc/qubes/qubes-firewall.d/10-a', logs('etc-10'));
    script('rw/config/qubes-firewall.d/05-z', logs('rw-05'));
    script('rw/config/qubes-firewall-user-script', logs('user'));
    const r = run();
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.lines, ['etc-10']);
  });

  it('with nothing to run, succeeds and runs nothing', () => {
    const r = run();
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.lines, []);
  });
});

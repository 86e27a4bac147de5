import assert from 'node:assert/strict';
import { lstat, mkdtemp, readFile, readlink, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import sinon from 'sinon';
import { main } from '../../../../dom0-side/daemon/main';
import { runDom0InstallCommand } from '../../../../dom0-side/install/install-command';
import { UsageError, type CliIo } from '../../../../shared/cli/cli';

/** The sources as they ship: the build's dom0-side/install → the tree's root. */
const TREE = join(__dirname, '..', '..', '..', '..', '..');

function bufferIo(): CliIo & { out(): string } {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(c));
  return {
    stdin: new PassThrough(),
    stdout,
    stderr: new PassThrough(),
    env: {},
    out: () => Buffer.concat(chunks).toString('utf8'),
  };
}

describe('qnetd install', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'qnetd-install-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('lays the unit, the qrexec socket links and the shipped policy into --root', async () => {
    const io = bufferIo();
    assert.equal(await runDom0InstallCommand(['--root', root, '--qubesd'], io), 0);

    const unitPath = join(root, 'usr/lib/systemd/system/qnetd.service');
    const unit = await readFile(unitPath, 'utf8');
    assert.match(unit, /^Type=simple$/m);
    assert.match(unit, /^ExecStart=\/usr\/bin\/qnetd --state-dir \/var\/lib\/qnet --run-dir \/run\/qnet --qubesd$/m);
    assert.match(unit, /^StateDirectory=qnet$/m);
    assert.match(unit, /^RuntimeDirectory=qnet$/m);
    assert.match(unit, /^Restart=always$/m);
    assert.match(unit, /^After=qubesd\.service$/m);
    assert.match(unit, /never touches any qube/);
    assert.doesNotMatch(unit, /@[A-Z_]+@/);
    assert.equal((await stat(unitPath)).mode & 0o777, 0o644);

    for (const svc of ['qubes.NetConfig', 'qnet.Ping']) {
      const link = join(root, 'etc/qubes-rpc', svc);
      assert.ok((await lstat(link)).isSymbolicLink(), svc);
      assert.equal(await readlink(link), '/run/qnet/qrexec.sock');
    }

    const policy = join(root, 'etc/qubes/policy.d/50-qnet.policy');
    assert.equal(await readFile(policy, 'utf8'), await readFile(join(TREE, 'policy/policy.d/50-qnet.policy'), 'utf8'));
    assert.equal((await stat(policy)).mode & 0o777, 0o644);
    assert.equal(
      await readlink(join(root, 'etc/systemd/system/multi-user.target.wants/qnetd.service')),
      '/usr/lib/systemd/system/qnetd.service',
    );
    assert.equal(io.out().trim().split('\n').length, 5);
  });

  it('replaces what an earlier install laid (a rerun is an upgrade)', async () => {
    const link = join(root, 'etc/qubes-rpc/qubes.NetConfig');
    await mkdir(join(root, 'etc/qubes-rpc'), { recursive: true });
    await writeFile(link, '#!/bin/sh\nold executable\n');
    assert.equal(await runDom0InstallCommand(['--root', root], bufferIo()), 0);
    assert.equal(await readlink(link), '/run/qnet/qrexec.sock');
    assert.doesNotMatch(await readFile(join(root, 'usr/lib/systemd/system/qnetd.service'), 'utf8'), /qubesd/);
  });

  it('--dry-run lists every entry and writes nothing', async () => {
    const io = bufferIo();
    assert.equal(await runDom0InstallCommand(['--root', root, '--dry-run'], io), 0);
    const lines = io.out().trim().split('\n');
    assert.deepEqual(
      lines.map((l) => l.split(' ').slice(0, 2).join(' ')),
      [
        'file /usr/lib/systemd/system/qnetd.service',
        'symlink /etc/qubes-rpc/qubes.NetConfig',
        'symlink /etc/qubes-rpc/qnet.Ping',
        'copy /etc/qubes/policy.d/50-qnet.policy',
        'symlink /etc/systemd/system/multi-user.target.wants/qnetd.service',
      ],
    );
    await assert.rejects(lstat(join(root, 'etc')), { code: 'ENOENT' });
  });

  it('refuses a missing --root and directories systemd cannot manage', async () => {
    await assert.rejects(
      runDom0InstallCommand([], bufferIo()),
      (err) => err instanceof UsageError && /--root/.test(err.message),
    );
    await assert.rejects(
      runDom0InstallCommand(['--root', root, '--state-dir', '/srv/qnet'], bufferIo()),
      (err) => err instanceof UsageError && /--state-dir must be under \/var\/lib\//.test(err.message),
    );
  });

  it('is what `qnetd install` runs; a bad flag there is a usage error, not a daemon start', async () => {
    const stdout = sinon.stub(process.stdout, 'write').returns(true);
    const stderr = sinon.stub(process.stderr, 'write').returns(true);
    try {
      assert.equal(await main(['install', '--root', root], {}), 0);
      assert.equal(await main(['install', '--root', root, '--bogus'], {}), 64);
    } finally {
      stdout.restore();
      stderr.restore();
    }
    assert.equal(await readlink(join(root, 'etc/qubes-rpc/qnet.Ping')), '/run/qnet/qrexec.sock');
    assert.match(String(stderr.firstCall.args[0]), /^qnetd install: .*bogus/);
  });
});

import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { basename, dirname, join } from 'node:path';
import type { BuiltPackages } from '../../../packaging/build/build-packages';
import {
  builtPackages,
  DpkgRoot,
  dpkgSkipReason,
  installedAgent,
  packageSkipReason,
  REPO,
  scratchDir,
} from './package-fixture';
import { defaultsEnv, extractDeb, extractRpm, pick, run, snapshotTree, type TreeSnapshot } from './tree-snapshot';

const BUILTINS = new Set(builtinModules);

const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

/** Where install --root enables units; a package enables them with presets instead. */
const isEnableLink = (path: string) => /^\/etc\/systemd\/system\/[^/]+\.wants\//.test(path);

const templates = (side: 'vm-side' | 'dom0-side') =>
  readdirSync(join(REPO, side, 'packaging')).map((n) => `/usr/lib/qnet/${side}/packaging/${n}`);

/** What the agent's packages add to `qnet-agent install --root`'s files, named here independently of the build. */
const AGENT_OWN = () => [
  '/usr/bin/qnet-agent',
  '/usr/lib/qnet/dist/vm-side/main.js',
  '/usr/lib/qnet/dist/vm-side/snapshot/snapshot-main.js',
  ...templates('vm-side'),
  '/usr/lib/qnet/qnet-agent-maint',
  '/usr/lib/systemd/system-preset/75-qnet-agent.preset',
  '/usr/lib/systemd/system/qubes-firewall.service.d/50-qnet.conf',
];

const DOM0_OWN = () => [
  '/usr/bin/qnet',
  '/usr/bin/qnetd',
  '/usr/lib/qnet/dist/dom0-side/cli/main.js',
  '/usr/lib/qnet/dist/dom0-side/daemon/main.js',
  ...templates('dom0-side'),
  '/usr/lib/qnet/policy/policy.d/50-qnet.policy',
  '/usr/lib/qnet/qnet-dom0-maint',
  '/usr/lib/systemd/system-preset/75-qnet-dom0.preset',
  `/usr/share/qnet/qnet-${VERSION}.tgz`,
];

/** `install --root` of the repository's own build (not the bundle), in a fresh folder. */
function repoInstallRoot(name: string, entry: string, args: readonly string[]): TreeSnapshot {
  const root = join(scratchDir(), name);
  rmSync(root, { recursive: true, force: true });
  run(process.execPath, [join(REPO, 'dist', entry), 'install', '--root', root, ...args], { env: defaultsEnv() });
  return snapshotTree(root);
}

const withoutEnableLinks = (t: TreeSnapshot) => new Map([...t].filter(([p]) => !isEnableLink(p)));
const sorted = (xs: Iterable<string>) => [...xs].sort();

/** `dpkg-deb -c` / `rpm -qlv`-style listings: the paths that are not directories. */
function debPaths(deb: string): string[] {
  return run('dpkg-deb', ['-c', deb])
    .split('\n')
    .filter((l) => l && !l.startsWith('d'))
    .map((l) => l.replace(/^.*? \.(\/\S*)( -> .*)?$/, '$1'));
}

function rpmPaths(rpm: string): { files: string[]; dirs: string[] } {
  const rows = run('rpm', ['-qp', '--qf', '[%{FILEMODES:perms} %{FILENAMES}\n]', rpm]).trim().split('\n');
  return {
    files: rows.filter((r) => !r.startsWith('d')).map((r) => r.split(' ')[1]),
    dirs: rows.filter((r) => r.startsWith('d')).map((r) => r.split(' ')[1]),
  };
}

function rpmField(rpm: string, tag: string): string {
  return run('rpm', ['-qp', '--qf', `%{${tag}}`, rpm]);
}

/** Requirements other than rpm's own features and the shell the scriptlets run in. */
function rpmRequires(rpm: string): string[] {
  return run('rpm', ['-qp', '--requires', rpm])
    .trim()
    .split('\n')
    .filter((r) => !r.startsWith('rpmlib(') && r !== '/bin/sh');
}

describe('integration: packaging (npm run package)', function () {
  this.timeout(120_000);
  let pkgs: BuiltPackages;
  let agentPlan: TreeSnapshot;

  before(async function () {
    const reason = packageSkipReason();
    if (reason) return this.skip();
    pkgs = await builtPackages();
    agentPlan = repoInstallRoot('agent-install-root', 'vm-side/main.js', ['--agent-blob', '/nonexistent']);
  });

  it('names every artifact with package.json version', () => {
    assert.deepEqual(
      [pkgs.agentDeb, pkgs.agentRpm, pkgs.dom0Rpm, pkgs.sdkTarball].map((f) => basename(f)),
      [
        `qnet-agent_${VERSION}_all.deb`,
        `qnet-agent-${VERSION}.noarch.rpm`,
        `qnet-dom0-${VERSION}.noarch.rpm`,
        `qnet-${VERSION}.tgz`,
      ],
    );
  });

  describe('the template deb', () => {
    it('dpkg-deb -I: qnet-agent, the version, architecture all, nodejs as its only dependency', () => {
      const field = (name: string) => run('dpkg-deb', ['-f', pkgs.agentDeb, name]).trim();
      assert.equal(field('Package'), 'qnet-agent');
      assert.equal(field('Version'), VERSION);
      assert.equal(field('Architecture'), 'all');
      assert.equal(field('Depends'), 'nodejs (>= 20)');
      assert.equal(field('Pre-Depends'), '');
      const info = run('dpkg-deb', ['-I', pkgs.agentDeb]);
      for (const part of ['postinst', 'prerm', 'postrm', 'conffiles', 'triggers']) assert.match(info, new RegExp(part));
    });

    it('dpkg-deb -c: exactly the files of install --root (enable links aside) plus the package own ones', () => {
      const expected = sorted([...withoutEnableLinks(agentPlan).keys(), ...AGENT_OWN()]);
      assert.deepEqual(sorted(debPaths(pkgs.agentDeb)), expected);
      assert.ok(run('dpkg-deb', ['-c', pkgs.agentDeb]).includes('./etc/qubes/qubes-firewall.d/'));
    });

    it('lays install --root files byte for byte with their modes, and the /etc ones are conffiles', () => {
      const tree = snapshotTree(extractDeb(pkgs.agentDeb, join(scratchDir(), 'agent-deb-x')));
      const plan = withoutEnableLinks(agentPlan);
      assert.deepEqual(pick(tree, plan.keys()), plan);
      assert.equal(tree.get('/usr/bin/qnet-agent'), 'symlink -> ../lib/qnet/dist/vm-side/main.js');
      const control = join(scratchDir(), 'agent-deb-control');
      run('dpkg-deb', ['-e', pkgs.agentDeb, control]);
      const conffiles = readFileSync(join(control, 'conffiles'), 'utf8').trim().split('\n');
      assert.deepEqual(sorted(conffiles), sorted([...plan.keys()].filter((p) => p.startsWith('/etc/'))));
      assert.match(readFileSync(join(control, 'triggers'), 'utf8'), /^interest-noawait \/usr\/bin\/node$/m);
      for (const script of ['postinst', 'prerm', 'postrm']) run('sh', ['-n', join(control, script)]);
    });

    it('ships one bundled file per entry point and no node_modules tree', () => {
      const paths = debPaths(pkgs.agentDeb);
      extractDeb(pkgs.agentDeb, join(scratchDir(), 'agent-deb-x'));
      assert.equal(paths.filter((p) => p.endsWith('.js')).length, 2);
      assert.ok(!paths.some((p) => p.includes('node_modules')));
      const main = readFileSync(join(scratchDir(), 'agent-deb-x', 'usr/lib/qnet/dist/vm-side/main.js'), 'utf8');
      assert.ok(main.startsWith('#!/usr/bin/env node'));
      // Only node built-ins stay outside the bundle.
      const required = [...main.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
      assert.deepEqual(
        required.filter((r) => !r.startsWith('node:') && !BUILTINS.has(r)),
        [],
      );
    });
  });

  describe('the template rpm', () => {
    it('rpm -qip: qnet-agent, the version, noarch, nodejs as its only requirement', () => {
      assert.equal(rpmField(pkgs.agentRpm, 'NAME'), 'qnet-agent');
      assert.equal(rpmField(pkgs.agentRpm, 'VERSION'), VERSION);
      assert.equal(rpmField(pkgs.agentRpm, 'ARCH'), 'noarch');
      assert.match(run('rpm', ['-qip', pkgs.agentRpm]), /^License\s*: GPL-2\.0-or-later$/m);
      assert.deepEqual(rpmRequires(pkgs.agentRpm), ['nodejs >= 1:20']);
    });

    it('rpm -qlp: the deb files, the snapshot postinst builds (%ghost), and only qnet own directories', () => {
      const { files, dirs } = rpmPaths(pkgs.agentRpm);
      assert.deepEqual(sorted(files), sorted([...debPaths(pkgs.agentDeb), '/usr/lib/qnet/qnet-agent.blob']));
      assert.ok(
        dirs.every((d) => /^\/usr\/lib\/qnet|^\/etc\/qubes\/qubes-firewall\.d$|qubes-firewall\.service\.d$/.test(d)),
        dirs.join(' '),
      );
      const ghosts = run('rpm', ['-qp', '--qf', '[%{FILEFLAGS:fflags} %{FILENAMES}\n]', pkgs.agentRpm]);
      assert.match(ghosts, /^g \/usr\/lib\/qnet\/qnet-agent\.blob$/m);
    });

    it('rpm2cpio payload equals the deb payload, file for file', () => {
      const fromRpm = snapshotTree(extractRpm(pkgs.agentRpm, join(scratchDir(), 'agent-rpm-x')));
      const fromDeb = snapshotTree(extractDeb(pkgs.agentDeb, join(scratchDir(), 'agent-deb-x2')));
      assert.deepEqual(fromRpm, fromDeb);
    });

    it('scriptlets call the maintainer helper; a nodejs update rebuilds the snapshot', () => {
      const scripts = run('rpm', ['-qp', '--scripts', pkgs.agentRpm]);
      assert.match(scripts, /qnet-agent-maint configure first/);
      assert.match(scripts, /qnet-agent-maint remove/);
      const triggers = run('rpm', ['-qp', '--triggers', pkgs.agentRpm]);
      assert.match(triggers, /^triggerin scriptlet .* -- nodejs$/m);
      assert.match(triggers, /qnet-agent-maint snapshot/);
    });
  });

  describe('the dom0 rpm', () => {
    let dom0Plan: TreeSnapshot;
    let payload: string;
    before(() => {
      dom0Plan = repoInstallRoot('dom0-install-root', 'dom0-side/daemon/main.js', ['--qubesd']);
      payload = extractRpm(pkgs.dom0Rpm, join(scratchDir(), 'dom0-rpm-x'));
    });

    it('rpm -qip: qnet-dom0, the version, noarch, nodejs as its only requirement', () => {
      assert.equal(rpmField(pkgs.dom0Rpm, 'NAME'), 'qnet-dom0');
      assert.equal(rpmField(pkgs.dom0Rpm, 'VERSION'), VERSION);
      assert.equal(rpmField(pkgs.dom0Rpm, 'ARCH'), 'noarch');
      assert.deepEqual(rpmRequires(pkgs.dom0Rpm), ['nodejs >= 1:20']);
    });

    it('rpm -qlp: qnetd install --root --qubesd files (enable link aside), the CLI, the SDK and its tarball', () => {
      const { files } = rpmPaths(pkgs.dom0Rpm);
      const sdk = files.filter((f) => f.startsWith('/usr/lib/node_modules/qnet/'));
      assert.ok(sdk.includes('/usr/lib/node_modules/qnet/package.json'));
      assert.ok(sdk.includes('/usr/lib/node_modules/qnet/dist/dom0-side/sdk/index.js'));
      assert.ok(sdk.includes('/usr/lib/node_modules/qnet/dist/dom0-side/sdk/index.d.ts'));
      assert.deepEqual(
        sorted(files.filter((f) => !sdk.includes(f))),
        sorted([...withoutEnableLinks(dom0Plan).keys(), ...DOM0_OWN()]),
      );
      assert.ok(files.includes('/etc/qubes/policy.d/50-qnet.policy'));
      const config = run('rpm', ['-qp', '--configfiles', pkgs.dom0Rpm]);
      assert.match(config, /^\/etc\/qubes\/policy\.d\/50-qnet\.policy$/m);
    });

    it('payload: install --root files byte for byte; the installed qnetd answers --help and lays the same files', () => {
      const tree = snapshotTree(payload);
      const plan = withoutEnableLinks(dom0Plan);
      assert.deepEqual(pick(tree, plan.keys()), plan);
      const qnetd = join(payload, 'usr/bin/qnetd');
      assert.match(run(qnetd, ['--help']), /usage: qnetd/);
      assert.match(run(join(payload, 'usr/bin/qnet'), ['--help']), /usage: qnet/);
      const again = join(scratchDir(), 'dom0-again');
      run(
        qnetd,
        [
          'install',
          '--root',
          again,
          '--qubesd',
          '--packaging-dir',
          join(payload, 'usr/lib/qnet/dom0-side/packaging'),
          '--policy-file',
          join(payload, 'usr/lib/qnet/policy/policy.d/50-qnet.policy'),
        ],
        { env: defaultsEnv() },
      );
      assert.deepEqual(withoutEnableLinks(snapshotTree(again)), plan);
    });

    it('maintainer helper on the payload: preset enables qnetd as install --root does, state stamped; remove disables', function () {
      if (spawnSync('sh', ['-c', 'command -v systemctl']).status !== 0) return this.skip();
      const scripts = run('rpm', ['-qp', '--scripts', pkgs.dom0Rpm]);
      assert.match(scripts, /qnet-dom0-maint configure first/);
      assert.match(scripts, /qnet-dom0-maint remove/);
      const root = join(scratchDir(), 'dom0-maint');
      rmSync(root, { recursive: true, force: true });
      extractRpm(pkgs.dom0Rpm, root);
      const maint = join(root, 'usr/lib/qnet/qnet-dom0-maint');
      // The helper's root prefix (DPKG_ROOT, as dpkg names it) keeps it off this machine's systemd.
      const env = { ...defaultsEnv(), DPKG_ROOT: root };
      run(maint, ['configure', 'first'], { env });
      const enableLinks = (t: TreeSnapshot) => new Map([...t].filter(([p]) => isEnableLink(p)));
      assert.deepEqual(enableLinks(snapshotTree(root)), enableLinks(dom0Plan));
      assert.equal(readFileSync(join(root, 'var/lib/qnet/.qnet-state-format'), 'utf8'), '1\n');
      run(maint, ['remove'], { env });
      assert.deepEqual(enableLinks(snapshotTree(root)), new Map());
    });

    it('the SDK loads from the package, and its npm tarball holds the same package', () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const sdk = require(join(payload, 'usr/lib/node_modules/qnet')) as Record<string, unknown>;
      for (const name of ['Qubes', 'Domain', 'QnetError', 'defineService'])
        assert.equal(typeof sdk[name], 'function', name);
      const listing = run('tar', ['-tzf', pkgs.sdkTarball]).trim().split('\n').sort();
      const installed = [...snapshotTree(join(payload, 'usr/lib/node_modules/qnet')).keys()].map((p) => `package${p}`);
      assert.deepEqual(listing, sorted(installed));
      const manifest = JSON.parse(run('tar', ['-xzOf', pkgs.sdkTarball, 'package/package.json'])) as Record<
        string,
        unknown
      >;
      assert.equal(manifest.name, 'qnet');
      assert.equal(manifest.version, VERSION);
      assert.equal(manifest.dependencies, undefined);
    });
  });
});

describe('integration: packaging, the deb installed and removed with dpkg --root', function () {
  this.timeout(120_000);
  let pkgs: BuiltPackages;
  let agentPlan: TreeSnapshot;
  before(async function () {
    const reason = dpkgSkipReason();
    if (reason) return this.skip();
    pkgs = await builtPackages();
    agentPlan = repoInstallRoot('agent-install-root-2', 'vm-side/main.js', ['--agent-blob', '/nonexistent']);
  });

  it('postinst builds the snapshot with this node, enables the units by preset, stamps the state format', async () => {
    const r = await installedAgent();
    const blob = r.path('usr/lib/qnet/qnet-agent.blob');
    assert.ok(existsSync(blob), 'no snapshot built');
    assert.match(run(process.execPath, ['--snapshot-blob', blob, 'install', '--help']), /usage: qnet-agent install/);
    assert.match(run(r.path('usr/bin/qnet-agent'), ['--help']), /usage: qnet-agent/);
    // The preset made exactly the enable links install --root makes (the agent runs the firewall hooks itself).
    const links = [...snapshotTree(r.root)].filter(([p]) => isEnableLink(p));
    assert.deepEqual(new Map(links), new Map([...agentPlan].filter(([p]) => isEnableLink(p))));
    assert.equal(readFileSync(r.path('var/lib/qnet-agent/.qnet-state-format'), 'utf8').trim(), '1');
    assert.match(r.mustDpkg('-s', 'qnet-agent'), /^Status: install ok installed$/m);
  });

  it('the installed agent install --root lays exactly the files the package installed', async () => {
    const r = await installedAgent();
    const again = join(scratchDir(), 'installed-again');
    run(
      r.path('usr/bin/qnet-agent'),
      ['install', '--root', again, '--packaging-dir', r.path('usr/lib/qnet/vm-side/packaging')],
      { env: defaultsEnv() },
    );
    const laid = snapshotTree(again);
    assert.deepEqual(pick(snapshotTree(r.root), laid.keys()), laid);
    assert.deepEqual(laid, agentPlan);
  });

  it('a node that cannot build the snapshot leaves none (the qrexec entries run the plain bundle); a good one rebuilds it', () => {
    const r = new DpkgRoot('snapshot');
    r.mustDpkg('-i', pkgs.agentDeb);
    const blob = r.path('usr/lib/qnet/qnet-agent.blob');
    const fakeBin = r.path('fake-bin');
    mkdirSync(fakeBin);
    // Stands for a node without snapshot support (or a broken one).
    writeFileSync(join(fakeBin, 'node'), '#!/bin/sh\nexit 9\n', { mode: 0o755 });
    const maint = r.path('usr/lib/qnet/qnet-agent-maint');
    const env = { ...defaultsEnv(), DPKG_ROOT: r.root };
    const failed = spawnSync(maint, ['snapshot'], {
      encoding: 'utf8',
      env: { ...env, PATH: `${fakeBin}:${process.env.PATH ?? ''}` },
    });
    assert.equal(failed.status, 0, failed.stderr);
    assert.match(failed.stderr, /no startup snapshot for this node; qrexec calls start the plain bundle/);
    assert.ok(!existsSync(blob) && !existsSync(`${blob}.new`));
    run(maint, ['snapshot'], { env });
    assert.match(run(process.execPath, ['--snapshot-blob', blob, 'install', '--help']), /usage: qnet-agent install/);
  });

  it('upgrade keeps the state, drops the retired hooks unit link; a newer state format is left alone', () => {
    const r = new DpkgRoot('upgrade');
    r.mustDpkg('-i', pkgs.agentDeb);
    writeFileSync(r.path('var/lib/qnet-agent/qubes.NetConfig.json'), '{"kept":true}\n');
    writeFileSync(r.path('var/lib/qnet-agent/.qnet-state-format'), '99\n');
    // The enable link of the retired qnet-firewall-hooks.service an earlier build installed.
    const retired = r.path('etc/systemd/system/multi-user.target.wants/qnet-firewall-hooks.service');
    mkdirSync(dirname(retired), { recursive: true });
    symlinkSync('/usr/lib/systemd/system/qnet-firewall-hooks.service', retired);
    const out = r.mustDpkg('-i', pkgs.agentDeb);
    assert.throws(() => lstatSync(retired), /ENOENT/, 'the retired unit is no longer enabled');
    assert.match(out, /state format 99, newer than this package's 1: left as it is/);
    assert.equal(readFileSync(r.path('var/lib/qnet-agent/qubes.NetConfig.json'), 'utf8'), '{"kept":true}\n');
    assert.equal(readFileSync(r.path('var/lib/qnet-agent/.qnet-state-format'), 'utf8'), '99\n');
  });

  it('remove leaves only conffiles and state (the agent socket links go, others stay); purge leaves nothing', () => {
    const r = new DpkgRoot('remove');
    r.mustDpkg('-i', pkgs.agentDeb);
    mkdirSync(r.path('run/qubes-rpc'), { recursive: true });
    symlinkSync('/run/qnet-agent/agent.sock', r.path('run/qubes-rpc/qubes.NetConfig'));
    symlinkSync('/run/other/other.sock', r.path('run/qubes-rpc/other.Service'));
    writeFileSync(r.path('var/lib/qnet-agent/qubes.NetConfig.json'), '{}\n');
    r.mustDpkg('-r', 'qnet-agent');
    const skipDb = (p: string) => p.startsWith('/var/lib/dpkg');
    const conffiles = [...agentPlan.keys()].filter((p) => p.startsWith('/etc/') && !isEnableLink(p));
    assert.deepEqual(
      sorted(snapshotTree(r.root, skipDb).keys()),
      sorted([
        ...conffiles,
        '/run/qubes-rpc/other.Service',
        '/var/lib/qnet-agent/.qnet-state-format',
        '/var/lib/qnet-agent/qubes.NetConfig.json',
      ]),
    );
    assert.equal(readlinkSync(r.path('run/qubes-rpc/other.Service')), '/run/other/other.sock');
    r.mustDpkg('-P', 'qnet-agent');
    assert.deepEqual(sorted(snapshotTree(r.root, skipDb).keys()), ['/run/qubes-rpc/other.Service']);
  });
});

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPackages, type BuiltPackages } from '../../../packaging/build/build-packages';

/** The checkout: dist/test/integration/packaging → the repository. */
export const REPO = join(__dirname, '..', '..', '..', '..');

const PACKAGE_TOOLS = ['dpkg-deb', 'rpmbuild', 'rpm', 'rpm2cpio', 'cpio', 'npm'];

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

/** Why the packages cannot be built here, or undefined. */
export function packageSkipReason(): string | undefined {
  const missing = PACKAGE_TOOLS.filter((t) => !has(t));
  if (missing.length) return `needs ${missing.join(', ')} (Debian: apt-get install rpm rpm2cpio cpio)`;
  if (!existsSync(join(REPO, 'dist', 'vm-side', 'main.js'))) return 'not built: dist/vm-side/main.js';
  return undefined;
}

/** Why the deb cannot be installed into a throw-away root here, or undefined. */
export function dpkgSkipReason(): string | undefined {
  const reason = packageSkipReason();
  if (reason) return reason;
  if (process.getuid?.() !== 0) return 'needs root (dpkg --root lays root-owned files)';
  if (!has('dpkg')) return 'needs dpkg';
  return undefined;
}

let scratch: string | undefined;
/** One temporary folder per test run for every package built and installed; removed when the run ends. */
export function scratchDir(): string {
  if (!scratch) {
    const dir = mkdtempSync(join(tmpdir(), 'qnet-pkg-test-'));
    scratch = dir;
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return scratch;
}

let built: Promise<BuiltPackages> | undefined;
/** The packages, built once per test run (bundling takes most of the time). */
export function builtPackages(): Promise<BuiltPackages> {
  built ??= buildPackages({ root: REPO, out: join(scratchDir(), 'dist-pkg') });
  return built;
}

export interface DpkgResult {
  readonly status: number;
  readonly output: string;
}

/**
 * dpkg on a throw-away root of its own (`--root`: files and database in it).
 * Maintainer scripts run without chroot and see DPKG_ROOT, which they honour;
 * nodejs is not in that database, so its dependency is waived.
 */
export class DpkgRoot {
  readonly root: string;

  constructor(name: string) {
    this.root = join(scratchDir(), name);
    rmSync(this.root, { recursive: true, force: true });
    for (const dir of ['info', 'updates', 'triggers'])
      mkdirSync(join(this.root, 'var/lib/dpkg', dir), { recursive: true });
    writeFileSync(join(this.root, 'var/lib/dpkg/status'), '');
  }

  dpkg(...args: string[]): DpkgResult {
    const r = spawnSync(
      'dpkg',
      [`--root=${this.root}`, '--force-script-chrootless', '--force-depends', '--log=/dev/null', ...args],
      // dpkg looks its helpers (ldconfig, start-stop-daemon) up on PATH.
      { encoding: 'utf8', env: { ...process.env, PATH: `/usr/sbin:/sbin:${process.env.PATH ?? '/usr/bin:/bin'}` } },
    );
    return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
  }

  mustDpkg(...args: string[]): string {
    const r = this.dpkg(...args);
    if (r.status !== 0) throw new Error(`dpkg ${args.join(' ')} failed (${r.status}): ${r.output.trim()}`);
    return r.output;
  }

  path(p: string): string {
    return join(this.root, p);
  }
}

let installed: Promise<DpkgRoot> | undefined;
/** The agent's deb installed once per run into a root of its own (used by the simulator's run with it). */
export function installedAgent(): Promise<DpkgRoot> {
  installed ??= builtPackages().then((p) => {
    const root = new DpkgRoot('installed-agent');
    root.mustDpkg('-i', p.agentDeb);
    return root;
  });
  return installed;
}

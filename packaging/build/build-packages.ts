/**
 * `npm run package`: the Qubes packages of this build, into dist-pkg/.
 *   qnet-agent_VERSION_all.deb, qnet-agent-VERSION.noarch.rpm   (templates)
 *   qnet-dom0-VERSION.noarch.rpm, qnet-VERSION.tgz (the SDK)      (dom0)
 * Each package's root is staged by the bundled command's own `install --root`
 * (the plan users run by hand), then gets only what a package adds: presets
 * instead of enable links, the maintainer helper, the drop-in that keeps
 * upstream's qubes-firewall off.
 *   node dist/packaging/build/build-packages.js [OUT_DIR]
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { buildDeb } from './deb';
import { PackageBuildError } from './package-build-error';
import { buildRpm } from './rpm';
import { stageSdk } from './sdk';
import { stageAgent, stageDom0, type SourceTree } from './stage';

export interface BuiltPackages {
  readonly version: string;
  readonly agentDeb: string;
  readonly agentRpm: string;
  readonly dom0Rpm: string;
  readonly sdkTarball: string;
}

export interface PackageBuildOptions {
  /** The built checkout (after `npm run build`). */
  readonly root: string;
  readonly out: string;
  /** Keep the staged roots here instead of a temporary folder (for inspection). */
  readonly work?: string;
}

/** rpm and dpkg both order plain dotted numbers the same way; anything else would need per-format mapping. */
export function packageVersion(root: string): string {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: unknown };
  const version = manifest.version;
  if (typeof version !== 'string' || !/^\d+\.\d+\.\d+$/.test(version))
    throw new PackageBuildError(`package.json version ${JSON.stringify(version)} is not N.N.N`);
  return version;
}

function dependencyVersions(root: string): Record<string, string> {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  return manifest.dependencies ?? {};
}

export async function buildPackages(opts: PackageBuildOptions): Promise<BuiltPackages> {
  const tree: SourceTree = { root: resolve(opts.root) };
  for (const entry of ['vm-side/main.js', 'dom0-side/daemon/main.js', 'dom0-side/sdk/index.d.ts']) {
    if (!existsSync(join(tree.root, 'dist', entry)))
      throw new PackageBuildError(`dist/${entry} is missing: run npm run build first`);
  }
  const version = packageVersion(tree.root);
  const work = opts.work ?? mkdtempSync(join(tmpdir(), 'qnet-package-'));
  rmSync(join(work, 'agent-root'), { recursive: true, force: true });
  rmSync(join(work, 'dom0-root'), { recursive: true, force: true });
  mkdirSync(opts.out, { recursive: true });
  try {
    const agentRoot = join(work, 'agent-root');
    await stageAgent(tree, agentRoot);
    const sdk = await stageSdk(tree, work, version, dependencyVersions(tree.root));
    const dom0Root = join(work, 'dom0-root');
    await stageDom0(tree, dom0Root, sdk);
    const sdkTarball = join(opts.out, basename(sdk.tarball));
    copyFileSync(sdk.tarball, sdkTarball);
    return {
      version,
      agentDeb: buildDeb('qnet-agent', agentRoot, work, opts.out, version),
      agentRpm: buildRpm('qnet-agent', agentRoot, work, opts.out, version),
      dom0Rpm: buildRpm('qnet-dom0', dom0Root, work, opts.out, version),
      sdkTarball,
    };
  } finally {
    if (!opts.work) rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const root = join(__dirname, '..', '..', '..');
  const out = resolve(process.argv[2] ?? join(root, 'dist-pkg'));
  buildPackages({ root, out }).then(
    (built) => {
      for (const file of [built.agentDeb, built.agentRpm, built.dom0Rpm, built.sdkTarball]) {
        process.stdout.write(`${file} (${Math.round(statSync(file).size / 1024)} KiB)\n`);
      }
    },
    (err: unknown) => {
      const code = err instanceof PackageBuildError ? err.code : 'INTERNAL';
      process.stderr.write(`qnet package: ${code}: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

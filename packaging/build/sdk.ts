import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { bundleEntry } from './bundle';
import type { SourceTree } from './stage';
import { listTree, runTool, writeFileAt } from './tools';

export interface StagedSdk {
  /** The unpacked package (what dom0 installs as /usr/lib/node_modules/qnet). */
  readonly dir: string;
  /** `npm pack`'s tarball of it. */
  readonly tarball: string;
}

const SDK_ENTRY = 'dom0-side/sdk/index.js';

/**
 * The SDK as an npm package named `qnet` (`require('qnet')` in a dom0 script):
 * the runtime bundled into one file, so it installs offline with nothing
 * beside it, and the declarations `tsc -p tsconfig.sdk.json` wrote. The
 * declarations name zod, msgpackr and tsyringe types: optional peers, needed
 * only by a TypeScript user who wants those types resolved.
 */
export async function stageSdk(
  tree: SourceTree,
  work: string,
  version: string,
  versions: Record<string, string>,
): Promise<StagedSdk> {
  const dir = join(work, 'sdk');
  const dist = join(tree.root, 'dist');
  for (const e of listTree(dist)) {
    if (e.kind === 'file' && e.path.endsWith('.d.ts')) cpSync(join(dist, e.path), join(dir, 'dist', e.path));
  }
  await bundleEntry(tree.root, { entry: join(dist, SDK_ENTRY), outfile: join(dir, 'dist', SDK_ENTRY), format: 'cjs' });
  const peers = ['msgpackr', 'tsyringe', 'zod'];
  const manifest = {
    name: 'qnet',
    version,
    description: 'qnet dom0 SDK: drive qnetd (qubes, properties, features, firewall, pushes) from scripts',
    license: 'GPL-2.0-or-later',
    main: `dist/${SDK_ENTRY}`,
    types: `dist/${SDK_ENTRY.replace(/\.js$/, '.d.ts')}`,
    engines: { node: '>=20' },
    peerDependencies: Object.fromEntries(peers.map((p) => [p, versions[p] ?? '*'])),
    peerDependenciesMeta: Object.fromEntries(peers.map((p) => [p, { optional: true }])),
  };
  writeFileAt(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`, 0o644);
  const out = join(work, 'sdk-pack');
  mkdirSync(out, { recursive: true });
  runTool('npm', ['pack', '--silent', '--pack-destination', out, dir], { cwd: work });
  const [tarball] = readdirSync(out).filter((n) => n.endsWith('.tgz'));
  return { dir, tarball: join(out, tarball) };
}

import { readFileSync } from 'node:fs';
import { dirname, relative, sep } from 'node:path';
import type { Plugin } from 'esbuild';

/** Where the build tree (the folder holding dist/, vm-side/packaging, policy/) lives once installed. */
export const INSTALLED_TREE = '/usr/lib/qnet';

export interface BundleRequest {
  /** A compiled entry point under `<tree>/dist`. */
  readonly entry: string;
  readonly outfile: string;
  /** `iife` for the snapshot entry: node's snapshot builder runs a plain script, with no `exports`. */
  readonly format: 'cjs' | 'iife';
}

/**
 * Each compiled module finds its files (templates, the policy, the snapshot)
 * relative to its own `__dirname`; once bundled, every module would share the
 * bundle's. This plugin gives each module the directory it has in the build
 * tree, moved to where the package installs that tree, so the installed
 * commands find their files exactly as they do from a checkout.
 */
function installedDirname(tree: string): Plugin {
  const distDir = `${tree}${sep}dist${sep}`;
  return {
    name: 'installed-dirname',
    setup(build) {
      build.onLoad({ filter: /\.js$/ }, (args) => {
        if (!args.path.startsWith(distDir)) return undefined;
        const installed = `${INSTALLED_TREE}/${relative(tree, dirname(args.path)).split(sep).join('/')}`;
        const source = readFileSync(args.path, 'utf8');
        return { contents: source.replace(/\b__dirname\b/g, JSON.stringify(installed)), loader: 'js' };
      });
    },
  };
}

/** One self-contained file per entry point: every npm dependency inside, only node's built-ins outside. */
export async function bundleEntry(tree: string, req: BundleRequest): Promise<void> {
  // esbuild is a devDependency: loaded by the package build only.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  await esbuild.build({
    entryPoints: [req.entry],
    bundle: true,
    platform: 'node',
    format: req.format,
    target: 'node20',
    minify: true,
    // Error classes name themselves after their class (new.target.name): logs and stack traces keep those names.
    keepNames: true,
    outfile: req.outfile,
    logLevel: 'warning',
    plugins: [installedDirname(tree)],
  });
}

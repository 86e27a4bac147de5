/**
 * Builds `dist/qnet-agent.blob`: the agent bundled into one file (a snapshot
 * builder may only require built-in modules) and run once with
 * --build-snapshot. Used by the executable-form fallback and measured in bench/.
 *   node dist/vm-side/snapshot/build-agent-snapshot.js [OUT.blob]
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { DEFAULT_AGENT_BLOB } from './agent-blob-path';

export function buildAgentSnapshot(out: string): void {
  // esbuild is a devDependency: required here only, never at run time.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  const bundle = `${out}.bundle.js`;
  esbuild.buildSync({
    entryPoints: [join(__dirname, 'snapshot-main.js')],
    bundle: true,
    platform: 'node',
    // The snapshot builder runs a plain script: no `exports` object exists there.
    format: 'iife',
    target: 'node20',
    minify: true,
    outfile: bundle,
    logLevel: 'warning',
  });
  const res = spawnSync(process.execPath, ['--no-warnings', '--snapshot-blob', out, '--build-snapshot', bundle], {
    encoding: 'utf8',
  });
  if (res.status !== 0) throw new Error(`snapshot build failed: ${res.stderr.trim().split('\n')[0] ?? res.status}`);
}

if (require.main === module) {
  const out = resolve(process.argv[2] ?? DEFAULT_AGENT_BLOB);
  buildAgentSnapshot(out);
  process.stdout.write(`${out}\n`);
}

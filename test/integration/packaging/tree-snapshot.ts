import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** One file or link of a tree, by what a package would lay: type, mode, content hash or link target. */
export type TreeSnapshot = Map<string, string>;

function walk(root: string, rel: string, out: TreeSnapshot, skip: (path: string) => boolean): void {
  const dir = join(root, rel);
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir).sort()) {
    const path = `${rel}/${name}`;
    if (skip(path)) continue;
    const full = join(root, path);
    const st = lstatSync(full);
    if (st.isDirectory()) walk(root, path, out, skip);
    else if (st.isSymbolicLink()) out.set(path, `symlink -> ${readlinkSync(full)}`);
    else {
      const hash = createHash('sha256').update(readFileSync(full)).digest('hex').slice(0, 16);
      out.set(path, `file ${(st.mode & 0o7777).toString(8)} ${hash}`);
    }
  }
}

/** Every file and link under root (directories only through what they hold). */
export function snapshotTree(root: string, skip: (path: string) => boolean = () => false): TreeSnapshot {
  const out: TreeSnapshot = new Map();
  walk(root, '', out, skip);
  return out;
}

/** The entries of `all` whose paths are in `paths`. */
export function pick(all: TreeSnapshot, paths: Iterable<string>): TreeSnapshot {
  return new Map([...paths].filter((p) => all.has(p)).map((p) => [p, all.get(p) as string]));
}

export function run(file: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(file, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** The environment without QNET_* overrides: an install must lay the defaults. */
export function defaultsEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('QNET_')));
}

/** A package's payload unpacked the way its own tools do it. */
export function extractDeb(deb: string, into: string): string {
  mkdirSync(into, { recursive: true });
  run('dpkg-deb', ['-x', deb, into]);
  return into;
}

export function extractRpm(rpm: string, into: string): string {
  mkdirSync(into, { recursive: true });
  run('sh', ['-c', 'rpm2cpio "$1" | cpio -idm --quiet --no-absolute-filenames', 'sh', rpm], { cwd: into });
  return into;
}

import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, lstatSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PackageBuildError } from './package-build-error';

/** The repository's packaging/ folder (templates, specs, scripts): dist/packaging/build → the checkout. */
export const PACKAGING_DIR = join(__dirname, '..', '..', '..', 'packaging');

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs a packaging tool without a shell; its first error line becomes the error. */
export function runTool(file: string, args: readonly string[], opts: RunOptions = {}): string {
  const r = spawnSync(file, args, { encoding: 'utf8', cwd: opts.cwd, env: opts.env, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new PackageBuildError(`${file}: ${r.error.message}`);
  if (r.status !== 0) {
    const first =
      (r.stderr || r.stdout)
        .trim()
        .split('\n')
        .find((l) => l.trim() !== '') ?? `exit ${r.status}`;
    throw new PackageBuildError(`${file} ${args[0] ?? ''} failed: ${first.slice(0, 300)}`);
  }
  return r.stdout;
}

/** The environment without QNET_* settings: the build must lay the defaults, not this shell's overrides. */
export function cleanEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('QNET_')));
}

export function writeFileAt(path: string, content: string | Buffer, mode: number): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  chmodSync(path, mode);
}

/** Fills `@NAME@` placeholders; an unknown one is a build error, never text left in a package. */
export function fillTemplate(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(/@([A-Z_]+)@/g, (whole, key: string) => {
    const value = values[key];
    if (value === undefined) throw new PackageBuildError(`template placeholder ${whole} has no value`);
    return value;
  });
}

export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

export type TreeEntryKind = 'file' | 'dir' | 'symlink';

export interface TreeEntry {
  /** Absolute path inside the tree, `/usr/bin/qnet-agent`. */
  readonly path: string;
  readonly kind: TreeEntryKind;
  readonly mode: number;
  readonly size: number;
}

/** Every entry under root, sorted, as the package will lay it. */
export function listTree(root: string, rel = ''): TreeEntry[] {
  const out: TreeEntry[] = [];
  for (const name of readdirSync(join(root, rel)).sort()) {
    const path = `${rel}/${name}`;
    const st = lstatSync(join(root, path));
    const kind: TreeEntryKind = st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : 'file';
    out.push({ path, kind, mode: st.mode & 0o7777, size: st.size });
    if (kind === 'dir') out.push(...listTree(root, path));
  }
  return out;
}

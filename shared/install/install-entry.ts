import { chmod, copyFile, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** One file `install --root` lays down, relative to the root. */
export type InstallEntry =
  | { readonly kind: 'file'; readonly path: string; readonly content: string; readonly mode: number }
  /** A file taken as it is from the build (the V8 startup snapshot). */
  | { readonly kind: 'copy'; readonly path: string; readonly from: string; readonly mode: number }
  | { readonly kind: 'symlink'; readonly path: string; readonly target: string };

export function describeInstallEntry(e: InstallEntry): string {
  switch (e.kind) {
    case 'file':
      return `file ${e.path} (mode ${e.mode.toString(8)}, ${e.content.length} bytes)`;
    case 'copy':
      return `copy ${e.path} (mode ${e.mode.toString(8)}) from ${e.from}`;
    case 'symlink':
      return `symlink ${e.path} -> ${e.target}`;
  }
}

/** Writes one entry under root, replacing whatever was at its path (a rerun is an upgrade). */
export async function layInstallEntry(root: string, entry: InstallEntry): Promise<void> {
  const path = join(root, entry.path);
  await mkdir(dirname(path), { recursive: true });
  await rm(path, { force: true });
  if (entry.kind === 'symlink') {
    await symlink(entry.target, path);
    return;
  }
  if (entry.kind === 'copy') await copyFile(entry.from, path);
  else await writeFile(path, entry.content);
  // Explicitly, because the umask narrows the mode writeFile would set.
  await chmod(path, entry.mode);
}

import { chmod, copyFile, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { InstallEntry } from './install-plan';

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

import { constants } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import { injectable } from 'tsyringe';
import type { FirewallHookPaths } from './hook-paths';
import type { HookScanner } from './hook-scanner';
import type { FirewallHooksObserved, HookDirEntry, HookFileFacts } from './planners/plan-firewall-hooks';

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/** stat follows symlinks, as Python's os.path.isfile; a dangling link is no file. */
async function facts(path: string | Buffer): Promise<HookFileFacts | undefined> {
  const st = await stat(path).catch(() => undefined);
  if (!st) return undefined;
  const executable = await access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
  return { regularFile: st.isFile(), executable };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeName(raw: Buffer): string | undefined {
  try {
    return utf8.decode(raw);
  } catch {
    return undefined;
  }
}

/** Names as raw bytes: a name that is not UTF-8 is reported, never silently mangled into another path. */
async function listDir(dir: string): Promise<HookDirEntry[] | undefined> {
  const names = await readdir(dir, { encoding: 'buffer' }).catch(() => undefined);
  if (!names) return undefined;
  const entries: HookDirEntry[] = [];
  for (const raw of names) {
    const name = decodeName(raw);
    const displayName = name ?? JSON.stringify(raw.toString('latin1')).slice(1, -1);
    const f = await facts(Buffer.concat([Buffer.from(`${dir}/`), raw]));
    entries.push({ name, displayName, regularFile: f?.regularFile ?? false, executable: f?.executable ?? false });
  }
  return entries;
}

@injectable()
export class FsHookScanner implements HookScanner {
  async scan(paths: FirewallHookPaths): Promise<FirewallHooksObserved> {
    const [serviceEnabled, customPersist, systemDir, userDir, userScript] = await Promise.all([
      exists(paths.serviceFlag),
      // Upstream: the service is a unit ConditionPathExists, custom-persist an os.path.isfile check.
      facts(paths.customPersistFlag).then((f) => f?.regularFile === true),
      listDir(paths.systemDir),
      listDir(paths.userDir),
      facts(paths.userScript),
    ]);
    return { serviceEnabled, customPersist, systemDir, userDir, userScript };
  }
}

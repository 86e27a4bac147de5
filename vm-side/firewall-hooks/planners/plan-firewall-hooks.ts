import type { FirewallHookPaths } from '../hook-paths';

/** What the file system says about one candidate script (symlinks followed, as upstream's os.path.isfile). */
export interface HookFileFacts {
  readonly regularFile: boolean;
  /** access(2) X_OK for the agent's user: for root, any execute bit. */
  readonly executable: boolean;
}

/** One directory entry; `name` undefined when its bytes are not valid UTF-8 (it cannot be spawned by name). */
export interface HookDirEntry extends HookFileFacts {
  readonly name: string | undefined;
  /** The raw name for messages when `name` is undefined. */
  readonly displayName: string;
}

export interface FirewallHooksObserved {
  readonly serviceEnabled: boolean;
  readonly customPersist: boolean;
  /** undefined: not a directory (or absent). */
  readonly systemDir: readonly HookDirEntry[] | undefined;
  readonly userDir: readonly HookDirEntry[] | undefined;
  /** undefined: absent. */
  readonly userScript: HookFileFacts | undefined;
}

export type HookOrigin = 'system-dir' | 'user-dir' | 'user-script';

export interface PlannedHook {
  readonly path: string;
  readonly origin: HookOrigin;
}

export interface SkippedHook {
  readonly path: string;
  readonly reason: string;
}

export type FirewallHooksPlan =
  | { readonly enabled: false; readonly reason: string }
  | { readonly enabled: true; readonly scripts: readonly PlannedHook[]; readonly skipped: readonly SkippedHook[] };

/** Python's sorted() on str: by code point (JS's < compares UTF-16 units, which differs above U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

const joinPath = (dir: string, name: string) => `${dir.replace(/\/+$/, '')}/${name}`;

function whyNot(facts: HookFileFacts): string | undefined {
  if (!facts.regularFile) return 'not a regular file';
  if (!facts.executable) return 'not executable';
  return undefined;
}

function planDir(
  dir: string,
  entries: readonly HookDirEntry[] | undefined,
  origin: HookOrigin,
  scripts: PlannedHook[],
  skipped: SkippedHook[],
): void {
  const sorted = [...(entries ?? [])].sort((a, b) =>
    compareCodePoints(a.name ?? a.displayName, b.name ?? b.displayName),
  );
  for (const entry of sorted) {
    if (entry.name === undefined) {
      // Upstream would run it; we cannot name it to exec, so say so loudly rather than pretend.
      skipped.push({ path: joinPath(dir, entry.displayName), reason: 'its name is not valid UTF-8' });
      continue;
    }
    const path = joinPath(dir, entry.name);
    const reason = whyNot(entry);
    if (reason) skipped.push({ path, reason });
    else scripts.push({ path, origin });
  }
}

/**
 * Which of the user's firewall customizations run, in which order, as
 * upstream's qubes-firewall does at its start (qubesagent/firewall.py,
 * run_firewall_dir then run_user_script): only where the `qubes-firewall`
 * service is on; the regular executable files of /etc/qubes/qubes-firewall.d,
 * then of /rw/config/qubes-firewall.d, each sorted by name; then
 * /rw/config/qubes-firewall-user-script. With `custom-persist` on, nothing
 * from /rw runs.
 */
export function planFirewallHooks(paths: FirewallHookPaths, observed: FirewallHooksObserved): FirewallHooksPlan {
  if (!observed.serviceEnabled) {
    return { enabled: false, reason: `the qubes-firewall service is off (no ${paths.serviceFlag})` };
  }
  const scripts: PlannedHook[] = [];
  const skipped: SkippedHook[] = [];
  planDir(paths.systemDir, observed.systemDir, 'system-dir', scripts, skipped);
  if (observed.customPersist) {
    if (observed.userDir?.length) skipped.push({ path: paths.userDir, reason: 'custom-persist is on' });
    if (observed.userScript) skipped.push({ path: paths.userScript, reason: 'custom-persist is on' });
    return { enabled: true, scripts, skipped };
  }
  planDir(paths.userDir, observed.userDir, 'user-dir', scripts, skipped);
  if (observed.userScript) {
    const reason = whyNot(observed.userScript);
    if (reason) skipped.push({ path: paths.userScript, reason });
    else scripts.push({ path: paths.userScript, origin: 'user-script' });
  }
  return { enabled: true, scripts, skipped };
}

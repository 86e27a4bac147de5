import { readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { token } from '../shared/di/token';
import { AccessDeniedError } from './errors';
import { IndexedPolicy } from './evaluator/indexed-policy';
import type { PolicyState } from './evaluator/evaluate';
import { loadPolicyRules } from './loader/load-policy';
import { loadSystemInfo, type SystemInfo } from './system-info/system-info';

/** A policy and the system info it is evaluated against, loaded together and swapped as one value. */
export interface PolicySnapshot {
  readonly state: PolicyState;
  readonly info: SystemInfo;
}

/** Hands out the current snapshot; a caller takes it once per request, so a request never sees a mix. */
export interface PolicySnapshotProvider {
  current(): PolicySnapshot;
}
export const PolicySnapshotProvider = token<PolicySnapshotProvider>('PolicySnapshotProvider');

export interface PolicySourceOptions {
  readonly policyDirs: readonly string[];
  readonly systemInfoPath: string;
  readonly legacyDir?: string;
  /** How often the files are re-checked when no change notification arrives (fs.watch misses some). */
  readonly pollMs?: number;
}

const EMPTY_INFO: SystemInfo = { domains: new Map(), lookup: new Map() };

/** Loads both halves; a failure of either becomes a state that denies every request. */
export function loadSnapshot(options: PolicySourceOptions, onRead?: (path: string) => void): PolicySnapshot {
  let info: SystemInfo;
  try {
    info = loadSystemInfo(options.systemInfoPath);
  } catch (err) {
    return { state: new AccessDeniedError(`error getting system info: ${(err as Error).message}`), info: EMPTY_INFO };
  }
  let state: PolicyState;
  try {
    state = new IndexedPolicy(loadPolicyRules(options.policyDirs, { legacyDir: options.legacyDir, onRead }));
  } catch (err) {
    state =
      err instanceof AccessDeniedError
        ? err
        : new AccessDeniedError(`cannot load policy: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { state, info };
}

function statStamp(path: string): string {
  try {
    const st = statSync(path);
    return `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  } catch {
    return '-';
  }
}

/**
 * Serves a snapshot of the policy directories and the system info, and
 * replaces it when any of those files change. The new snapshot is built in
 * full before it replaces the old one.
 */
export class PolicySource implements PolicySnapshotProvider {
  private snapshot: PolicySnapshot;
  private stamp: string;
  private readonly watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Files and directories outside the policy directories that the last load read (includes, legacy dir). */
  private extraPaths: string[] = [];

  constructor(private readonly options: PolicySourceOptions) {
    this.snapshot = this.load();
    this.stamp = this.fingerprint();
  }

  private load(): PolicySnapshot {
    const read = new Set<string>();
    const snapshot = loadSnapshot(this.options, (p) => read.add(p));
    this.extraPaths = [...read].sort();
    return snapshot;
  }

  current(): PolicySnapshot {
    return this.snapshot;
  }

  /** Reloads when a watched file changed since the last load; returns whether it did. */
  refresh(): boolean {
    const before = this.fingerprint();
    if (before === this.stamp) return false;
    const extras = this.extraPaths.join('\n');
    this.snapshot = this.load();
    // the stamp taken before loading makes an edit made during the load trigger another one;
    // only when the set of included files changed must it be taken again
    this.stamp = extras === this.extraPaths.join('\n') ? before : this.fingerprint();
    return true;
  }

  start(): void {
    const kick = () => this.refresh();
    const dirs = [...this.options.policyDirs, dirname(this.options.systemInfoPath)];
    for (const dir of dirs) {
      try {
        // watching the directory, not the file, catches editors' atomic renames
        this.watchers.push(watch(dir, { persistent: false }, kick));
      } catch {
        // a missing directory is covered by polling until it appears
      }
    }
    this.timer = setInterval(kick, this.options.pollMs ?? 1000);
    this.timer.unref();
  }

  async dispose(): Promise<void> {
    for (const w of this.watchers.splice(0)) w.close();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private fingerprint(): string {
    const parts = [statStamp(this.options.systemInfoPath)];
    for (const dir of this.options.policyDirs) {
      let names: string[] = [];
      try {
        names = readdirSync(dir).sort();
      } catch {
        parts.push(`${dir}:-`);
      }
      for (const n of names) parts.push(`${n}=${statStamp(`${dir}/${n}`)}`);
    }
    for (const p of this.extraPaths) parts.push(`${p}=${statStamp(p)}`);
    return parts.join('\n');
  }
}

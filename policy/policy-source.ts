import { readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { token } from '../shared/di/token';
import type { Logger } from '../shared/logging/logger';
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
  /** Told once when loading starts failing (with the error, which names file and line) and once when it recovers. */
  readonly log?: Logger;
}

const EMPTY_INFO: SystemInfo = { domains: new Map(), lookup: new Map() };

/** Loads both halves; a failure of either becomes a state that denies every request. */
export function loadSnapshot(options: PolicySourceOptions, onRead?: (path: string) => void): PolicySnapshot {
  let info: SystemInfo;
  try {
    onRead?.(options.systemInfoPath);
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

/**
 * File timestamps come from the kernel's coarse clock: a write this close to
 * a read may leave the same stamp as the content read before it.
 */
const RACY_WINDOW_MS = 50;

interface Stat {
  readonly text: string;
  readonly changedMs: number;
}

function statOf(path: string): Stat {
  try {
    const st = statSync(path);
    return {
      text: `${st.ino}:${st.mode}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`,
      changedMs: Math.max(st.mtimeMs, st.ctimeMs),
    };
  } catch {
    return { text: '-', changedMs: 0 };
  }
}

/** What a load depended on, each stamp taken before the thing was read; `racy` if one may hide a later write. */
interface Stamp {
  readonly text: string;
  readonly racy: boolean;
}

/**
 * Serves a snapshot of the policy directories and the system info, and
 * replaces it when any of those files change. The new snapshot is built in
 * full before it replaces the old one.
 *
 * Every stamp is taken before what it describes is read, so an edit that
 * lands while a load runs leaves a stamp that no longer matches, and the
 * next check loads again: every change is either in the snapshot or
 * triggers another load.
 */
export class PolicySource implements PolicySnapshotProvider {
  private snapshot: PolicySnapshot;
  private stamp: Stamp;
  private readonly watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Every file and directory the last load read, beyond the policy directories' listings. */
  private readPaths: string[] = [];
  /** The error last reported, so a failure is logged once and its end once. */
  private reportedFailure: string | null = null;

  constructor(private readonly options: PolicySourceOptions) {
    ({ snapshot: this.snapshot, stamp: this.stamp } = this.load());
    this.report();
  }

  private load(): { snapshot: PolicySnapshot; stamp: Stamp } {
    const started = Date.now();
    const parts = [this.listingStamp()];
    const read = new Map<string, Stat>();
    const snapshot = loadSnapshot(this.options, (p) => {
      if (!read.has(p)) read.set(p, statOf(p));
    });
    this.readPaths = [...read.keys()].sort();
    let racy = false;
    for (const p of this.readPaths) {
      const st = read.get(p) as Stat;
      parts.push(`${p}=${st.text}`);
      if (st.changedMs >= started - RACY_WINDOW_MS) racy = true;
    }
    return { snapshot, stamp: { text: parts.join('\n'), racy } };
  }

  current(): PolicySnapshot {
    return this.snapshot;
  }

  /** Reloads when anything the last load depended on changed since it was read; returns whether it did. */
  refresh(): boolean {
    if (!this.stamp.racy && this.fingerprint() === this.stamp.text) return false;
    ({ snapshot: this.snapshot, stamp: this.stamp } = this.load());
    this.report();
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

  /** Logs a new failure once, and the return to a usable policy once. */
  private report(): void {
    const { state } = this.snapshot;
    const failure = state instanceof AccessDeniedError ? state.message : null;
    if (failure === this.reportedFailure) return;
    if (failure !== null) this.options.log?.error(`policy unusable, every request is denied: ${failure}`);
    else this.options.log?.info(`policy loaded again: ${(state as IndexedPolicy).rules.length} rules`);
    this.reportedFailure = failure;
  }

  /** The policy directories' entries: a file appearing or leaving shows here. */
  private listingStamp(): string {
    const parts: string[] = [];
    for (const dir of this.options.policyDirs) {
      let names: string[] = [];
      try {
        names = readdirSync(dir).sort();
      } catch {
        parts.push(`${dir}:-`);
      }
      for (const n of names) parts.push(`${dir}/${n}=${statOf(`${dir}/${n}`).text}`);
    }
    return parts.join('\n');
  }

  private fingerprint(): string {
    const parts = [this.listingStamp()];
    for (const p of this.readPaths) parts.push(`${p}=${statOf(p).text}`);
    return parts.join('\n');
  }
}

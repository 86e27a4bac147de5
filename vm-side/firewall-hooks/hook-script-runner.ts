import { token } from '../../shared/di/token';

/** How one script ended. */
export type HookRunOutcome =
  | { readonly kind: 'exited'; readonly exitCode: number; readonly ms: number }
  | { readonly kind: 'signalled'; readonly signal: string; readonly ms: number }
  /** Over its time: the script and every process of its group were killed. */
  | { readonly kind: 'timed-out'; readonly timeoutMs: number; readonly ms: number }
  /** exec failed (ENOENT, EACCES, a missing interpreter…). */
  | { readonly kind: 'not-started'; readonly error: string; readonly ms: number }
  /** The agent is stopping: the script's group was killed. */
  | { readonly kind: 'aborted'; readonly ms: number };

export interface HookRunOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/** Runs one executable, no arguments, to its end or its timeout. Never throws. */
export interface HookScriptRunner {
  run(path: string, opts: HookRunOptions): Promise<HookRunOutcome>;
}
export const HookScriptRunner = token<HookScriptRunner>('HookScriptRunner');

export const succeeded = (o: HookRunOutcome): boolean => o.kind === 'exited' && o.exitCode === 0;

/** One line for the log: what happened, not what was expected. */
export function describeHookOutcome(o: HookRunOutcome): string {
  switch (o.kind) {
    case 'exited':
      return o.exitCode === 0 ? `succeeded in ${o.ms} ms` : `failed with exit status ${o.exitCode} after ${o.ms} ms`;
    case 'signalled':
      return `was killed by ${o.signal} after ${o.ms} ms`;
    case 'timed-out':
      return `timed out after ${o.timeoutMs} ms; it and its process group were killed`;
    case 'not-started':
      return `could not be started: ${o.error}`;
    case 'aborted':
      return `was stopped with the agent after ${o.ms} ms`;
  }
}

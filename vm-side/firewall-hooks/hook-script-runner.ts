import { token } from '../../shared/di/token';

/** How one script ended. */
export type HookRunOutcome =
  | { readonly kind: 'exited'; readonly exitCode: number; readonly ms: number }
  | { readonly kind: 'signalled'; readonly signal: string; readonly ms: number }
  /** Over its time: the script and every process of its group were killed. */
  | { readonly kind: 'timed-out'; readonly timeoutMs: number; readonly ms: number }
  /** The process could not be made at all (no /bin/sh, no memory…). */
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
      if (o.exitCode === 0) return `succeeded in ${o.ms} ms`;
      // The shell that execs the script says 126/127 when the exec itself failed (its message precedes ours).
      if (o.exitCode === 126 || o.exitCode === 127)
        return `failed with exit status ${o.exitCode} (not executable or not found, if the shell said so) after ${o.ms} ms`;
      return `failed with exit status ${o.exitCode} after ${o.ms} ms`;
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

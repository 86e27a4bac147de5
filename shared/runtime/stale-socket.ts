import { spawn } from 'node:child_process';
import { statSync, unlinkSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Logger } from '../logging/logger';
import { inspectSocketPath } from './unix-socket';

/*
 * qrexec looks a service up in /run/qubes-rpc before /etc/qubes-rpc and takes
 * the first entry that exists: a symlink to a socket file that nobody listens
 * on any more is found, connected to, refused, and the call fails (125); the
 * executable fallback behind it is never tried. Only a missing socket file
 * (a dangling link) lets qrexec go on to the fallback. So a socket-form
 * process must never leave its socket file behind: not while it starts
 * (converging saved state can take seconds), and not when it dies, however
 * it dies. These two helpers cover both; the systemd unit's ExecStopPost is
 * the third line.
 */

/** Removes a socket file nobody answers on (left by a crash); a live one, or a non-socket, is left alone. */
export async function removeStaleSocket(path: string): Promise<boolean> {
  if ((await inspectSocketPath(path)) !== 'stale') return false;
  try {
    unlinkSync(path);
  } catch {
    /* gone meanwhile */
  }
  return true;
}

/*
 * A watcher that outlives us: it blocks reading a pipe whose other end only
 * this process holds, so the read ends when the process ends, kill -9
 * included. Then it removes the socket file, but only if it is still the one
 * we bound (same device and inode): a successor may already have bound a new
 * one at the same path.
 */
const WATCHER_SCRIPT = `read -r _
[ -S "$1" ] && [ "$(stat -c %d:%i -- "$1" 2>/dev/null)" = "$2" ] && rm -f -- "$1"
exit 0`;

/**
 * After `listen(path)`: makes sure the socket file disappears when this process dies. The watcher is a
 * tiny shell in its own process group (a terminal's Ctrl-C does not reach it before it has done its job).
 */
export function removeSocketWhenProcessDies(path: string, log: Logger): void {
  let identity: string;
  try {
    const st = statSync(path);
    identity = `${st.dev}:${st.ino}`;
  } catch (err) {
    log.warn(`cannot watch ${path}: ${err instanceof Error ? err.message : String(err)}`);
    return;
  }
  const watcher = spawn('/bin/sh', ['-c', WATCHER_SCRIPT, 'qnet-socket-watch', path, identity], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  watcher.once('error', (err) => log.warn(`no watcher for ${path}: ${err.message}`));
  // Neither the watcher nor its pipe may keep this process alive.
  watcher.unref();
  (watcher.stdin as Socket | null)?.unref();
}

import { chmodSync, linkSync, lstatSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { connect, type Server } from 'node:net';
import { dirname, join } from 'node:path';

/**
 * The kernel's accept queue is the first queue a burst of callers meets;
 * Node's 511 turned 500 simultaneous callers plus a few held connections
 * into EAGAIN. The kernel caps it at net.core.somaxconn.
 */
const LISTEN_BACKLOG = 4096;

/** True when something accepts connections on `path`. */
export function socketIsLive(path: string, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    const timer = setTimeout(() => finish(false), timeoutMs);
    const finish = (live: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve(live);
    };
    s.once('connect', () => finish(true));
    s.once('error', () => finish(false));
  });
}

/** What is at a socket path: nothing, something else, a socket somebody answers on, or one left by a dead process. */
export async function inspectSocketPath(path: string): Promise<'absent' | 'not-a-socket' | 'live' | 'stale'> {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return 'absent';
  }
  if (!st.isSocket()) return 'not-a-socket';
  return (await socketIsLive(path)) ? 'live' : 'stale';
}

/**
 * Listens on a Unix socket path. A socket file left by a crashed process is
 * removed; one with a live listener, or a path that is not a socket, is an
 * error (never clobber another process or a user's file).
 *
 * The socket is never reachable with a wider mode than `mode`, not even for
 * an instant: bind() creates the file with the process umask, so it is bound
 * inside a fresh 0700 directory (nobody else can reach it there), given its
 * mode, and only then linked to its public path. Setting the umask instead
 * would change it for the whole process, under every concurrent file it creates.
 */
export async function listenUnix(server: Server, path: string, mode: number): Promise<void> {
  const found = await inspectSocketPath(path);
  if (found === 'not-a-socket') throw new Error(`${path} exists and is not a socket`);
  if (found === 'live') throw new Error(`${path} is in use by another process`);
  if (found === 'stale') unlinkSync(path);
  // A short name: sun_path holds 107 bytes, and the staging path must fit as well as the final one.
  const staging = mkdtempSync(join(dirname(path), '.q'));
  try {
    chmodSync(staging, 0o700);
    const bound = join(staging, 's');
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ path: bound, backlog: LISTEN_BACKLOG }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    try {
      chmodSync(bound, mode);
      // link(2), not rename(2): it fails if the path appeared meanwhile, so nothing there is ever clobbered.
      linkSync(bound, path);
    } catch (err) {
      server.close();
      throw err;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

export function closeServer(server: Server, path: string | undefined): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    if (path) {
      try {
        unlinkSync(path);
      } catch {
        /* already gone */
      }
    }
  });
}

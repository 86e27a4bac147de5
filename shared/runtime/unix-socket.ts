import { lstatSync, chmodSync, unlinkSync } from 'node:fs';
import { connect, type Server } from 'node:net';

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

/**
 * Listens on a Unix socket path. A socket file left by a crashed process is
 * removed; one with a live listener, or a path that is not a socket, is an
 * error (never clobber another process or a user's file).
 */
export async function listenUnix(server: Server, path: string, mode: number): Promise<void> {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    st = undefined;
  }
  if (st) {
    if (!st.isSocket()) throw new Error(`${path} exists and is not a socket`);
    if (await socketIsLive(path)) throw new Error(`${path} is in use by another process`);
    unlinkSync(path);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(path, mode);
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

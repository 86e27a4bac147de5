import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** Why a file could not be read: the errno, or `not-regular` / `too-large`. */
export class UnreadableFileError extends Error {
  constructor(
    readonly path: string,
    readonly reason: NodeJS.ErrnoException | 'not-regular' | 'too-large',
  ) {
    super(
      reason === 'not-regular'
        ? 'not a regular file'
        : reason === 'too-large'
          ? 'file too large'
          : (reason.message ?? String(reason)),
    );
  }
}

/**
 * Reads a file that must be a regular file, without ever blocking on what
 * replaced it: opened non-blocking (a FIFO opens at once instead of waiting
 * for a writer) and checked on the open descriptor, so a swap between a
 * stat and the open cannot slip a FIFO or a device in.
 */
export function readRegularFileSync(path: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    throw new UnreadableFileError(path, err as NodeJS.ErrnoException);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UnreadableFileError(path, 'not-regular');
    if (st.size > maxBytes) throw new UnreadableFileError(path, 'too-large');
    // one byte beyond the size seen tells a file that grew past the cap while being read
    const buf = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    let length = 0;
    while (length < buf.length) {
      const n = readSync(fd, buf, length, buf.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > maxBytes) throw new UnreadableFileError(path, 'too-large');
    return buf.subarray(0, length);
  } catch (err) {
    if (err instanceof UnreadableFileError) throw err;
    throw new UnreadableFileError(path, err as NodeJS.ErrnoException);
  } finally {
    closeSync(fd);
  }
}

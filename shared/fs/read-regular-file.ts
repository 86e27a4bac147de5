import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { QnetError } from '../errors/qnet-error';

/** The file exists but is no regular file, or reading it failed; the message names the path and why. */
export class UnreadableFileError extends QnetError {
  readonly code = 'UNAVAILABLE';
  constructor(
    readonly path: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`${JSON.stringify(path)} cannot be read: ${reason}`, options);
  }
}

export class FileTooLargeError extends QnetError {
  readonly code = 'PAYLOAD_TOO_LARGE';
  constructor(
    readonly path: string,
    readonly limit: number,
  ) {
    super(`${JSON.stringify(path)} exceeds ${limit} bytes`);
  }
}

function describeType(stat: Stats): string {
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  if (stat.isDirectory()) return 'a directory';
  return 'not a regular file';
}

/**
 * A state file's bytes, or undefined when it does not exist. Opened with
 * O_NONBLOCK, so a FIFO put in its place cannot block the open (a plain
 * open() waits for a writer forever), then checked with fstat on that very
 * descriptor: anything but a regular file is refused before one byte is
 * read. At most `maxBytes` are read; a file that grows meanwhile is refused.
 */
export async function readRegularFile(path: string, maxBytes: number): Promise<Buffer | undefined> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new UnreadableFileError(path, code ?? 'open failed', { cause: err });
  }
  try {
    const stat = await fh.stat();
    if (!stat.isFile()) throw new UnreadableFileError(path, `it is ${describeType(stat)}, not a regular file`);
    if (stat.size > maxBytes) throw new FileTooLargeError(path, maxBytes);
    // One byte beyond the size seen: reading it means the file grew under us.
    const buf = Buffer.alloc(stat.size + 1);
    let length = 0;
    while (length < buf.length) {
      const { bytesRead } = await fh.read(buf, length, buf.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > stat.size) throw new UnreadableFileError(path, 'it grew while being read');
    return buf.subarray(0, length);
  } catch (err) {
    if (err instanceof UnreadableFileError || err instanceof FileTooLargeError) throw err;
    throw new UnreadableFileError(path, (err as NodeJS.ErrnoException).code ?? 'read failed', { cause: err });
  } finally {
    await fh.close();
  }
}

import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { injectable } from 'tsyringe';
import { token } from '../../shared/di/token';
import { QnetError } from '../../shared/errors/qnet-error';
import { atomicWriteFile } from '../../shared/fs/atomic-write';

/** resolv.conf, a protected-files listing, an NM profile: a few KiB. Anything past this is not read at all. */
export const MAX_TEXT_FILE_BYTES = 1024 * 1024;

/**
 * A file the user (or a program) made far larger than any file of its kind:
 * refused whole, never cut, since half of a protected-files listing would
 * silently unprotect the rest.
 */
export class TextFileTooLargeError extends QnetError {
  readonly code = 'APPLY_FAILED';
  constructor(
    readonly path: string,
    readonly limit: number,
  ) {
    super(`${path} is larger than ${limit} bytes: not read`);
  }
}

/** The few plain files the agent reads and writes (resolv.conf, protected-files.d); a seam for tests. */
export interface TextFiles {
  /** undefined when the file does not exist. */
  read(path: string): Promise<string | undefined>;
  /** Every file's text in a directory (empty when it does not exist); `accept` filters by file name. */
  readAll(dir: string, accept?: (name: string) => boolean): Promise<string[]>;
  write(path: string, content: string, mode?: number): Promise<void>;
  /** Whether anything (a file, a directory, a namespace's mount point) is at `path`. */
  exists(path: string): Promise<boolean>;
}
export const TextFiles = token<TextFiles>('TextFiles');

const missing = (err: unknown) => ['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '');

@injectable()
export class NodeTextFiles implements TextFiles {
  /** A field, not a constructor parameter: the container builds this class with no arguments. */
  maxBytes = MAX_TEXT_FILE_BYTES;

  async read(path: string): Promise<string | undefined> {
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      if (missing(err)) return undefined;
      throw err;
    }
    try {
      // One byte past the cap tells a file at the limit from a larger one, whatever stat said.
      const buffer = Buffer.alloc(this.maxBytes + 1);
      let length = 0;
      while (length < buffer.length) {
        const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
        if (bytesRead === 0) break;
        length += bytesRead;
      }
      if (length > this.maxBytes) throw new TextFileTooLargeError(path, this.maxBytes);
      return buffer.subarray(0, length).toString('utf8');
    } finally {
      await handle.close();
    }
  }

  async readAll(dir: string, accept: (name: string) => boolean = () => true): Promise<string[]> {
    let names: string[];
    try {
      names = (await readdir(dir)).filter(accept).sort();
    } catch (err) {
      if (missing(err)) return [];
      throw err;
    }
    // An unreadable entry (a subdirectory, no permission) is skipped as before; an oversized one fails the read.
    const texts = await Promise.all(
      names.map((n) =>
        this.read(join(dir, n)).catch((err: unknown) => {
          if (err instanceof TextFileTooLargeError) throw err;
          return undefined;
        }),
      ),
    );
    return texts.filter((t): t is string => t !== undefined);
  }

  async exists(path: string): Promise<boolean> {
    try {
      await stat(path);
      return true;
    } catch (err) {
      if (missing(err)) return false;
      throw err;
    }
  }

  write(path: string, content: string, mode = 0o644): Promise<void> {
    return atomicWriteFile(path, content, mode);
  }
}

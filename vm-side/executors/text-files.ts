import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { injectable } from 'tsyringe';
import { token } from '../../shared/di/token';
import { atomicWriteFile } from '../../shared/fs/atomic-write';

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
  async read(path: string): Promise<string | undefined> {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      if (missing(err)) return undefined;
      throw err;
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
    const texts = await Promise.all(names.map((n) => this.read(join(dir, n)).catch(() => undefined)));
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

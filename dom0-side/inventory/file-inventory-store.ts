import { open, readdir, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { inject, injectable } from 'tsyringe';
import { atomicWriteFile } from '../../shared/fs/atomic-write';
import { Inventory } from './inventory';
import { InvalidStateTextError, parseStoredText, toStoredText } from './inventory-codec';
import { InventoryStoreConfig, type InventoryStore } from './inventory-store';
import { CorruptStateError, StateTooLargeError, UnreadableStateError } from './state-file-errors';

/** The embedded store: one JSON state file, replaced atomically on every save. */
@injectable()
export class FileInventoryStore implements InventoryStore {
  constructor(@inject(InventoryStoreConfig) private readonly config: InventoryStoreConfig) {}

  async load(): Promise<Inventory> {
    await this.removeStaleTempFiles();
    const text = await this.readCapped();
    if (text === undefined) return Inventory.EMPTY;
    try {
      return parseStoredText(text);
    } catch (err) {
      if (err instanceof InvalidStateTextError) throw new CorruptStateError(this.config.path, err.message);
      throw err;
    }
  }

  async save(inventory: Inventory): Promise<void> {
    const text = toStoredText(inventory);
    if (Buffer.byteLength(text) > this.config.maxBytes)
      throw new StateTooLargeError(this.config.path, this.config.maxBytes);
    await atomicWriteFile(this.config.path, text);
  }

  /**
   * A writer killed between creating its temporary file and renaming it
   * leaves `.NAME.PID.TIME.tmp` behind (atomicWriteFile's naming). Those of
   * dead processes are litter, never state: the rename is what publishes.
   */
  private async removeStaleTempFiles(): Promise<void> {
    const dir = dirname(this.config.path);
    const prefix = `.${basename(this.config.path)}.`;
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return; // reading the state itself reports what is wrong with the directory
    }
    for (const name of names) {
      const m = name.startsWith(prefix) ? /^(\d+)\.\d+\.tmp$/.exec(name.slice(prefix.length)) : null;
      if (m && !isAlive(Number(m[1]))) await unlink(join(dir, name)).catch(() => {});
    }
  }

  /** The file's text, or undefined when it does not exist. Reads at most maxBytes + 1 bytes. */
  private async readCapped(): Promise<string | undefined> {
    const { path, maxBytes } = this.config;
    let fh;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new UnreadableStateError(path, (err as NodeJS.ErrnoException).code ?? 'open failed', { cause: err });
    }
    try {
      const stat = await fh.stat();
      if (!stat.isFile()) throw new UnreadableStateError(path, 'not a regular file');
      if (stat.size > maxBytes) throw new StateTooLargeError(path, maxBytes);
      // One byte beyond the size seen: reading it means the file grew under us.
      const buf = Buffer.alloc(stat.size + 1);
      let length = 0;
      while (length < buf.length) {
        const { bytesRead } = await fh.read(buf, length, buf.length - length, length);
        if (bytesRead === 0) break;
        length += bytesRead;
      }
      if (length > stat.size) throw new UnreadableStateError(path, 'it grew while being read');
      const text = new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, length));
      return text;
    } catch (err) {
      if (err instanceof StateTooLargeError || err instanceof UnreadableStateError) throw err;
      if (err instanceof TypeError) throw new CorruptStateError(path, 'not UTF-8');
      throw new UnreadableStateError(path, (err as NodeJS.ErrnoException).code ?? 'read failed', { cause: err });
    } finally {
      await fh.close();
    }
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

import { readdir, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { inject, injectable } from 'tsyringe';
import { atomicWriteFile } from '../../shared/fs/atomic-write';
import { FileTooLargeError, readRegularFile, UnreadableFileError } from '../../shared/fs/read-regular-file';
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

  /** The file's text, or undefined when it does not exist; a FIFO or device is refused without blocking. */
  private async readCapped(): Promise<string | undefined> {
    const { path, maxBytes } = this.config;
    let bytes: Buffer | undefined;
    try {
      bytes = await readRegularFile(path, maxBytes);
    } catch (err) {
      if (err instanceof FileTooLargeError) throw new StateTooLargeError(path, maxBytes);
      if (err instanceof UnreadableFileError) throw new UnreadableStateError(path, err.reason, { cause: err });
      throw err;
    }
    if (bytes === undefined) return undefined;
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new CorruptStateError(path, 'not UTF-8');
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

import { mkdir, readFile, readdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { inject, injectable } from 'tsyringe';
import { atomicWriteFile } from '../../shared/fs/atomic-write';
import { Logger } from '../../shared/logging/logger';
import { AgentConfig } from '../config/agent-config';
import { documentFileName, type DocumentStore, type StoredDocument } from './document-store';

/** The largest document qnet sends is FirewallSync's (8 MiB of msgpack); JSON of it stays well below this. */
export const MAX_STATE_FILE_BYTES = 64 * 1024 * 1024;

/** One JSON file per service under `QNET_STATE_DIR`, replaced atomically on every save. */
@injectable()
export class FileDocumentStore implements DocumentStore {
  /** Broken files already reported that could not be moved aside. */
  private readonly reported = new Set<string>();

  constructor(
    @inject(AgentConfig) private readonly config: Pick<AgentConfig, 'stateDir'>,
    @inject(Logger) private readonly log: Logger,
  ) {}

  async load<T = unknown>(service: string): Promise<StoredDocument<T> | undefined> {
    const file = join(this.config.stateDir, documentFileName(service));
    let text: string;
    try {
      if ((await stat(file)).size > MAX_STATE_FILE_BYTES) return await this.setAside(file, 'it is too large');
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return this.setAside(file, 'it is not JSON');
    }
    const doc = parsed as Partial<StoredDocument<T>> | null;
    if (!doc || typeof doc !== 'object' || typeof doc.generation !== 'number' || !('document' in doc)) {
      return this.setAside(file, 'it has no generation and document');
    }
    return doc as StoredDocument<T>;
  }

  /**
   * A broken state file is only a cache of what dom0 sent: it is moved aside
   * (kept for inspection, never overwritten) and treated as absent, so the
   * next push from dom0 is taken instead of every push failing on it.
   */
  private async setAside(file: string, why: string): Promise<undefined> {
    const aside = `${file}.corrupt-${Date.now()}`;
    try {
      await rename(file, aside);
    } catch (err) {
      // A read-only or full state dir must not turn a broken cache into a crash loop: the file stays where it is,
      // is treated as absent (the kernel keeps what it holds), and is reported once per process.
      if (!this.reported.has(file)) {
        this.reported.add(file);
        const errno = (err as NodeJS.ErrnoException).code ?? String(err);
        this.log.error(`state file ${file} ignored (${why}); it could not be set aside (${errno})`);
      }
      return undefined;
    }
    this.log.error(`state file ${file} set aside as ${aside}: ${why}`);
    return undefined;
  }

  async save(service: string, generation: number, document: unknown): Promise<void> {
    await mkdir(this.config.stateDir, { recursive: true, mode: 0o700 });
    const file = join(this.config.stateDir, documentFileName(service));
    await atomicWriteFile(file, `${JSON.stringify({ generation, document })}\n`);
  }

  async services(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.config.stateDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return names
      .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
      .map((n) => n.slice(0, -'.json'.length))
      .sort();
  }
}

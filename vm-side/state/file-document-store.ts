import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { inject, injectable } from 'tsyringe';
import { atomicWriteFile } from '../../shared/fs/atomic-write';
import { AgentConfig } from '../config/agent-config';
import { documentFileName, type DocumentStore, type StoredDocument } from './document-store';

/** One JSON file per service under `QNET_STATE_DIR`, replaced atomically on every save. */
@injectable()
export class FileDocumentStore implements DocumentStore {
  constructor(@inject(AgentConfig) private readonly config: Pick<AgentConfig, 'stateDir'>) {}

  async load<T = unknown>(service: string): Promise<StoredDocument<T> | undefined> {
    let text: string;
    try {
      text = await readFile(join(this.config.stateDir, documentFileName(service)), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const parsed = JSON.parse(text) as StoredDocument<T>;
    if (typeof parsed.generation !== 'number') throw new Error(`state file of ${service} has no generation`);
    return parsed;
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

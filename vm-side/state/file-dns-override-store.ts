import { mkdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { inject, injectable } from 'tsyringe';
import { describeIssue } from '../../shared/errors/describe-issue';
import { atomicWriteFile } from '../../shared/fs/atomic-write';
import { Logger } from '../../shared/logging/logger';
import { AgentConfig } from '../config/agent-config';
import { DnsOverride, type DnsOverrideStore } from './dns-override-store';

/** A subdirectory, so the document store's listing of `*.json` services never sees it. */
export const LOCAL_STATE_SUBDIR = 'local';
export const DNS_OVERRIDE_FILE = 'dns-override.json';
const MAX_OVERRIDE_BYTES = 16 * 1024;

/** `QNET_STATE_DIR/local/dns-override.json`, replaced atomically; absent means no override. */
@injectable()
export class FileDnsOverrideStore implements DnsOverrideStore {
  constructor(
    @inject(AgentConfig) private readonly config: Pick<AgentConfig, 'stateDir'>,
    @inject(Logger) private readonly log: Logger,
  ) {}

  private get dir(): string {
    return join(this.config.stateDir, LOCAL_STATE_SUBDIR);
  }

  private get file(): string {
    return join(this.dir, DNS_OVERRIDE_FILE);
  }

  async load(): Promise<DnsOverride | 'unreadable' | undefined> {
    let untrustedText: string;
    try {
      if ((await stat(this.file)).size > MAX_OVERRIDE_BYTES) return this.unreadable('it is too large');
      untrustedText = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return this.unreadable((err as NodeJS.ErrnoException).code ?? 'read error');
    }
    let untrusted: unknown;
    try {
      untrusted = JSON.parse(untrustedText);
    } catch {
      return this.unreadable('it is not JSON');
    }
    const parsed = DnsOverride.safeParse(untrusted);
    if (!parsed.success) return this.unreadable(describeIssue(parsed.error.issues[0]));
    return parsed.data;
  }

  /**
   * Unlike a cached document, a broken override is not set aside: treating it
   * as absent would hand DNS back to dom0's servers, around the VPN that set
   * it. It stays, and DNS stays closed, until the user sets or clears it.
   */
  private unreadable(why: string): 'unreadable' {
    this.log.error(`DNS override ${this.file} unreadable (${why}): DNS1/DNS2 dropped until it is set or cleared`);
    return 'unreadable';
  }

  async save(override: DnsOverride): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await atomicWriteFile(this.file, `${JSON.stringify(DnsOverride.parse(override))}\n`);
  }

  async clear(): Promise<void> {
    await unlink(this.file).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject, injectable } from 'tsyringe';
import { token } from '../../shared/di/token';
import type { NftCommand } from '../planners/nft-json';
import { CommandFailedError, CommandRunner } from '../../shared/exec/command-runner';

/**
 * nftables as data: a batch is the `nftables` array of libnftables' JSON
 * schema (`[{add: {table: …}}, {flush: {chain: …}}, …]`). One batch is one
 * kernel transaction: it applies whole or not at all.
 */
export interface NftBatch {
  readonly commands: readonly NftCommand[];
}

export interface NftExecutor {
  /** Applies the batch atomically; on failure the ruleset is as it was. */
  apply(batch: NftBatch): Promise<void>;
  /** `nft -j list ruleset` (or one table), parsed. */
  list(family?: 'ip' | 'ip6' | 'inet', table?: string): Promise<{ nftables: NftCommand[] }>;
}
export const NftExecutor = token<NftExecutor>('NftExecutor');

export const NftBinary = token<string>('NftBinary');

/**
 * Batches up to this size go to nft as its one argument, larger ones through
 * a temp file. Linux caps one argument at 128 KiB; a one-client firewall
 * update is about 20 KiB and saves the file's create, write and removal.
 */
export const NFT_ARGUMENT_MAX = 64 * 1024;

@injectable()
export class NftJsonExecutor implements NftExecutor {
  constructor(
    @inject(CommandRunner) private readonly run: CommandRunner,
    @inject(NftBinary) private readonly nft: string,
  ) {}

  async apply(batch: NftBatch): Promise<void> {
    if (batch.commands.length === 0) return;
    const json = JSON.stringify({ nftables: [{ metainfo: { json_schema_version: 1 } }, ...batch.commands] });
    if (Buffer.byteLength(json) <= NFT_ARGUMENT_MAX) {
      try {
        await this.run.exec(this.nft, ['-j', json]);
      } catch (err) {
        // The runner names the failed command by its arguments: not the whole batch, in every log line.
        if (err instanceof CommandFailedError)
          throw new CommandFailedError(`${this.nft} -j <batch>`, err.exitCode, err.stderr);
        throw err;
      }
      return;
    }
    // nft -j -f - fails when its stdin is a Node pipe (a socket nft cannot open as /dev/stdin): use a temp file.
    const dir = await mkdtemp(join(tmpdir(), 'qnet-nft-'));
    const file = join(dir, 'batch.json');
    try {
      await writeFile(file, json, { mode: 0o600 });
      await this.run.exec(this.nft, ['-j', '-f', file]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async list(family?: 'ip' | 'ip6' | 'inet', table?: string): Promise<{ nftables: NftCommand[] }> {
    const args = family && table ? ['-j', 'list', 'table', family, table] : ['-j', 'list', 'ruleset'];
    const { stdout } = await this.run.exec(this.nft, args);
    return JSON.parse(stdout) as { nftables: NftCommand[] };
  }
}

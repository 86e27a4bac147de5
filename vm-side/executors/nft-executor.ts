import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
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
  list(family?: 'ip' | 'ip6' | 'inet' | 'netdev', table?: string): Promise<{ nftables: NftCommand[] }>;
}
export const NftExecutor = token<NftExecutor>('NftExecutor');

export const NftBinary = token<string>('NftBinary');
/** Where batches too large for an argument are written: the agent's run dir (a tmpfs), swept at start. */
export const NftBatchDir = token<string>('NftBatchDir');
export const NFT_BATCH_SUBDIR = 'nft-batches';

/** `batch-PID-SEQ.json`: the pid tells a later process whether the writer is gone. */
const BATCH_FILE = /^batch-(\d+)-\d+\.json$/;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Batches up to this size go to nft as its one argument, larger ones through
 * a temp file. Linux caps one argument at 128 KiB; a one-client firewall
 * update is about 20 KiB and saves the file's create, write and removal.
 */
export const NFT_ARGUMENT_MAX = 64 * 1024;

@injectable()
export class NftJsonExecutor implements NftExecutor {
  private swept = false;
  private seq = 0;

  constructor(
    @inject(CommandRunner) private readonly run: CommandRunner,
    @inject(NftBinary) private readonly nft: string,
    @inject(NftBatchDir) private readonly batchDir: string = join(tmpdir(), `qnet-${NFT_BATCH_SUBDIR}`),
  ) {}

  /**
   * Removes the batch files of processes that are gone: a SIGKILL between
   * writing a batch and removing it (a large apply takes seconds) would
   * otherwise leave one behind per kill. Runs once per process, before its
   * first apply.
   */
  async sweepStaleBatches(): Promise<void> {
    this.swept = true;
    let names: string[];
    try {
      names = await readdir(this.batchDir);
    } catch {
      return;
    }
    for (const name of names) {
      const pid = Number(BATCH_FILE.exec(name)?.[1]);
      if (!pid || pid === process.pid || isAlive(pid)) continue;
      await rm(join(this.batchDir, name), { force: true });
    }
  }

  async apply(batch: NftBatch): Promise<void> {
    if (batch.commands.length === 0) return;
    if (!this.swept) await this.sweepStaleBatches();
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
    // nft -j -f - fails when its stdin is a Node pipe (a socket nft cannot open as /dev/stdin): use a file.
    await mkdir(this.batchDir, { recursive: true, mode: 0o700 });
    const file = join(this.batchDir, `batch-${process.pid}-${++this.seq}.json`);
    try {
      await writeFile(file, json, { mode: 0o600, flag: 'wx' });
      await this.run.exec(this.nft, ['-j', '-f', file]);
    } finally {
      await rm(file, { force: true });
    }
  }

  async list(family?: 'ip' | 'ip6' | 'inet' | 'netdev', table?: string): Promise<{ nftables: NftCommand[] }> {
    const args = family && table ? ['-j', 'list', 'table', family, table] : ['-j', 'list', 'ruleset'];
    const { stdout } = await this.run.exec(this.nft, args);
    return JSON.parse(stdout) as { nftables: NftCommand[] };
  }
}

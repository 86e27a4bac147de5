import { inject, injectable } from 'tsyringe';
import { token } from '../../shared/di/token';
import { CommandFailedError } from '../../shared/exec/command-runner';
import { NftExecutor } from '../executors/nft-executor';
import type { NftFamily } from '../planners/nft-json';
import type { NftTableState } from '../planners/nft-state';
import { summarizeNftTable } from './summarize-nft-table';

/** Reads one nftables table; undefined when it does not exist. */
export interface NftTableObserver {
  observe(family: NftFamily | 'netdev', table: string): Promise<NftTableState | undefined>;
}
export const NftTableObserver = token<NftTableObserver>('NftTableObserver');

@injectable()
export class NftJsonTableObserver implements NftTableObserver {
  constructor(@inject(NftExecutor) private readonly nft: NftExecutor) {}

  async observe(family: NftFamily | 'netdev', table: string): Promise<NftTableState | undefined> {
    try {
      return summarizeNftTable(await this.nft.list(family, table));
    } catch (err) {
      if (err instanceof CommandFailedError && /No such file or directory/.test(err.stderr)) return undefined;
      throw err;
    }
  }
}

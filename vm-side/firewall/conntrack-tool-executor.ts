import { inject, injectable } from 'tsyringe';
import { Logger } from '../../shared/logging/logger';
import { CommandRunner } from '../../shared/exec/command-runner';
import type { ConntrackExecutor } from './conntrack-executor';
import { FAMILIES, type ConntrackSweep, type Family } from './planners/firewall-model';
import { parseConntrackFlows } from './planners/parse-conntrack-flows';
import { familyArg, planConntrackDeletions, toConntrackDeleteArgs } from './planners/plan-conntrack-deletions';

/**
 * Up to this many swept sources in a family, each is listed with `-s` (the
 * kernel filters; a busy provider's table is not copied out for one client).
 * Above it, one unfiltered listing of the family is fewer process starts.
 */
export const FILTERED_LISTING_MAX = 4;

/**
 * The `conntrack` tool: list the swept clients' flows once, judge them
 * against the new rules (ports as numbers: section 5 warns of a string
 * compare that killed unrelated flows), and delete exactly the refused ones
 * by their full tuple.
 */
@injectable()
export class ConntrackToolExecutor implements ConntrackExecutor {
  constructor(
    @inject(CommandRunner) private readonly run: CommandRunner,
    @inject(Logger) private readonly log: Logger,
  ) {}

  async sweep(sweeps: readonly ConntrackSweep[]): Promise<number> {
    // The families are independent tables in the kernel: list and clean them side by side.
    const counts = await Promise.all(
      FAMILIES.map((f) =>
        this.sweepFamily(
          f,
          sweeps.filter((s) => s.family === f),
        ),
      ),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  private async sweepFamily(family: Family, sweeps: readonly ConntrackSweep[]): Promise<number> {
    if (sweeps.length === 0) return 0;
    const filters =
      sweeps.length <= FILTERED_LISTING_MAX ? [...new Set(sweeps.map((s) => s.source))].map((ip) => ['-s', ip]) : [[]];
    const listings = await Promise.all(
      filters.map((filter) => this.run.exec('conntrack', ['-L', '-f', familyArg(family), ...filter, '-o', 'extended'])),
    );
    const flows = listings.flatMap((l) => parseConntrackFlows(l.stdout));
    let deleted = 0;
    for (const flow of planConntrackDeletions(flows, sweeps)) {
      try {
        await this.run.exec('conntrack', toConntrackDeleteArgs(flow));
        deleted++;
      } catch (err) {
        // The flow may have ended between the listing and the delete: conntrack then exits 1.
        this.log.debug('conntrack delete found nothing', { error: (err as Error).message });
      }
    }
    return deleted;
  }
}

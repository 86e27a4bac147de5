import { inject, injectable } from 'tsyringe';
import { Logger } from '../../shared/logging/logger';
import { CommandRunner } from '../executors/command-runner';
import type { ConntrackExecutor } from './conntrack-executor';
import { FAMILIES, type ConntrackSweep, type Family } from './planners/firewall-model';
import { parseConntrackFlows } from './planners/parse-conntrack-flows';
import { familyArg, planConntrackDeletions, toConntrackDeleteArgs } from './planners/plan-conntrack-deletions';

/**
 * The `conntrack` tool: list each family's flows once, judge them against the
 * new rules (ports as numbers: section 5 warns of a string compare that killed
 * unrelated flows), and delete exactly the refused ones by their full tuple.
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
    const listing = await this.run.exec('conntrack', ['-L', '-f', familyArg(family), '-o', 'extended']);
    let deleted = 0;
    for (const flow of planConntrackDeletions(parseConntrackFlows(listing.stdout), sweeps)) {
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

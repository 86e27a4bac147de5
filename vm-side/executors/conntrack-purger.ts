import { inject, injectable } from 'tsyringe';
import { token } from '../../shared/di/token';
import { canonicalIpv6, isIpv6 } from '../../shared/net/ipv6';
import { AgentConfig } from '../config/agent-config';
import { CommandFailedError, CommandRunner } from '../../shared/exec/command-runner';

/** Forgets every tracked flow from or to an address. */
export interface ConntrackPurger {
  purge(addresses: readonly string[]): Promise<void>;
}
export const ConntrackPurger = token<ConntrackPurger>('ConntrackPurger');

/** Every address named in a `conntrack -L` listing (both tuples), canonical. */
export function addressesInListing(listing: string): Set<string> {
  const found = new Set<string>();
  for (const m of listing.matchAll(/\b(?:src|dst)=(\S+)/g)) found.add(isIpv6(m[1]) ? canonicalIpv6(m[1]) : m[1]);
  return found;
}

/**
 * One listing per family, then deletions only for addresses that have flows:
 * a provider with 200 new clients and no traffic yet costs two process
 * starts, not 800.
 */
@injectable()
export class ConntrackToolPurger implements ConntrackPurger {
  constructor(
    @inject(CommandRunner) private readonly run: CommandRunner,
    @inject(AgentConfig) private readonly config: Pick<AgentConfig, 'conntrackBinary'>,
  ) {}

  async purge(addresses: readonly string[]): Promise<void> {
    for (const family of ['ipv4', 'ipv6'] as const) {
      const wanted = addresses.filter((ip) => ip.includes(':') === (family === 'ipv6'));
      if (wanted.length === 0) continue;
      const { stdout } = await this.run.exec(this.config.conntrackBinary, ['-L', '-f', family]);
      const present = addressesInListing(stdout);
      for (const ip of wanted.filter((a) => present.has(a))) {
        for (const direction of ['-s', '-d']) await this.delete(family, direction, ip);
      }
    }
  }

  private async delete(family: string, direction: string, ip: string): Promise<void> {
    try {
      await this.run.exec(this.config.conntrackBinary, ['-D', '-f', family, direction, ip]);
    } catch (err) {
      // conntrack exits 1 when there was nothing to delete (e.g. the flow matched only the other direction).
      if (!(err instanceof CommandFailedError && /\b0 flow entries have been deleted/.test(err.stderr))) throw err;
    }
  }
}

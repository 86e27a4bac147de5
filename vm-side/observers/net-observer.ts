import { inject, injectable } from 'tsyringe';
import { token } from '../../shared/di/token';
import { CommandRunner } from '../../shared/exec/command-runner';
import { AgentConfig } from '../config/agent-config';
import type { NetState } from '../planners/net-state';
import { parseIpAddr, parseIpNeigh, parseIpRoute } from './parse-ip-json';

/** Reads links, routes and neighbours from the kernel as plain data. */
export interface NetObserver {
  observe(): Promise<NetState>;
}
export const NetObserver = token<NetObserver>('NetObserver');

@injectable()
export class IpJsonNetObserver implements NetObserver {
  constructor(
    @inject(CommandRunner) private readonly run: CommandRunner,
    @inject(AgentConfig) private readonly config: Pick<AgentConfig, 'ipBinary'>,
  ) {}

  async observe(): Promise<NetState> {
    const ip = (args: string[]) => this.run.exec(this.config.ipBinary, ['-j', ...args]).then((r) => r.stdout);
    const [addr, route4, route6, neigh] = await Promise.all([
      ip(['address', 'show']),
      ip(['-4', 'route', 'show', 'table', 'main']),
      ip(['-6', 'route', 'show', 'table', 'main']),
      ip(['neighbour', 'show']),
    ]);
    return {
      links: parseIpAddr(addr),
      routes: [...parseIpRoute(route4, 4), ...parseIpRoute(route6, 6)],
      neighbours: parseIpNeigh(neigh),
    };
  }
}

import { ChildProcessCommandRunner, type CommandRunner } from '../shared/exec/command-runner';
import { NETNS_PREFIX } from './planners/plan-sim';

export interface LinkEnd {
  readonly netns: string;
  readonly dev: string;
  readonly mac: string;
}

/**
 * Namespaces and cables of the simulation, through `ip`. Every interface is
 * created directly inside its namespace, so an interrupted run never leaves
 * one behind in the machine's own namespace.
 */
export class SimKernel {
  constructor(private readonly run: CommandRunner = new ChildProcessCommandRunner()) {}

  async ip(netns: string, args: readonly string[]): Promise<string> {
    return (await this.run.exec('ip', ['-n', netns, ...args])).stdout;
  }

  async listNetns(prefix = NETNS_PREFIX): Promise<string[]> {
    const out = (await this.run.exec('ip', ['-j', 'netns', 'list'])).stdout.trim();
    const list = out ? (JSON.parse(out) as { name: string }[]) : [];
    return list.map((n) => n.name).filter((n) => n.startsWith(prefix));
  }

  async addNetns(name: string): Promise<void> {
    await this.run.exec('ip', ['netns', 'add', name]);
    await this.ip(name, ['link', 'set', 'lo', 'up']);
  }

  async deleteNetns(name: string): Promise<void> {
    await this.run.exec('ip', ['netns', 'del', name]).catch(() => undefined);
  }

  async netnsPids(name: string): Promise<number[]> {
    const out = await this.run.exec('ip', ['netns', 'pids', name]).catch(() => ({ stdout: '' }));
    return out.stdout
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter((n) => Number.isInteger(n) && n > 0);
  }

  /** A veth pair, each end born in its namespace and left down: whoever configures an end brings it up. */
  async addVeth(a: LinkEnd, b: LinkEnd): Promise<void> {
    await this.run.exec('ip', [
      'link', 'add', a.dev, 'netns', a.netns, 'address', a.mac,
      'type', 'veth', 'peer', 'name', b.dev, 'netns', b.netns, 'address', b.mac,
    ]); // prettier-ignore
  }

  /** Deleting one end of a veth removes its peer too, as detaching a Xen vif removes the guest's eth0. */
  async deleteLink(netns: string, dev: string): Promise<void> {
    await this.ip(netns, ['link', 'del', dev]);
  }

  /** The names of the links in a namespace; none when the namespace is gone. */
  async linkNames(netns: string): Promise<string[]> {
    const out = await this.ip(netns, ['-j', 'link', 'show']).catch(() => '[]');
    return (JSON.parse(out || '[]') as { ifname: string }[]).map((l) => l.ifname);
  }

  async linkExists(netns: string, dev: string): Promise<boolean> {
    return this.ip(netns, ['link', 'show', 'dev', dev]).then(
      () => true,
      () => false,
    );
  }
}

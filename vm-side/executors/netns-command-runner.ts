import type { CommandResult, CommandRunner, ExecOptions } from '../../shared/exec/command-runner';

/** Runs every command inside a network namespace through `ip netns exec`; for the namespace tests and benches. */
export class NetnsCommandRunner implements CommandRunner {
  constructor(
    private readonly inner: CommandRunner,
    readonly netns: string,
    private readonly ipBinary = 'ip',
  ) {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(netns)) throw new RangeError(`invalid netns name ${JSON.stringify(netns)}`);
  }

  exec(file: string, args: readonly string[], opts?: ExecOptions): Promise<CommandResult> {
    return this.inner.exec(this.ipBinary, ['netns', 'exec', this.netns, file, ...args], opts);
  }
}

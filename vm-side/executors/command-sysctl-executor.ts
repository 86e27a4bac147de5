import { inject, injectable } from 'tsyringe';
import { token } from '../../shared/di/token';
import type { SysctlOp } from '../planners/sysctl-plan';
import { CommandRunner } from '../../shared/exec/command-runner';
import { checkSysctlKey, type SysctlExecutor } from './sysctl-executor';

export const SysctlBinary = token<string>('SysctlBinary');

/**
 * The same through the `sysctl` tool and a CommandRunner: with a
 * NetnsCommandRunner it configures a namespace this process is not in (the
 * namespace tests drive an agent's kernel state from outside).
 */
@injectable()
export class CommandSysctlExecutor implements SysctlExecutor {
  constructor(
    @inject(CommandRunner) private readonly run: CommandRunner,
    @inject(SysctlBinary) private readonly sysctl: string,
  ) {}

  async read(keys: readonly string[]): Promise<Map<string, string | undefined>> {
    const values = await Promise.all(
      keys.map((key) =>
        this.run.exec(this.sysctl, ['-n', checkSysctlKey(key)]).then(
          (r) => r.stdout.trim(),
          () => undefined,
        ),
      ),
    );
    return new Map(keys.map((key, i) => [key, values[i]]));
  }

  async apply(ops: readonly SysctlOp[]): Promise<void> {
    if (ops.length === 0) return;
    await this.run.exec(this.sysctl, ['-q', '-w', ...ops.map((op) => `${checkSysctlKey(op.key)}=${op.value}`)]);
  }
}

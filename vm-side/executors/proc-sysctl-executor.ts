import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inject, injectable } from 'tsyringe';
import { ApplyFailedError, quote } from '../../shared/errors/qnet-error';
import { AgentConfig } from '../config/agent-config';
import type { SysctlOp } from '../planners/sysctl-plan';
import { checkSysctlKey, type SysctlExecutor } from './sysctl-executor';

/**
 * Reads and writes /proc/sys (or the configured root). /proc/sys/net belongs
 * to the network namespace of the process that opens it, so an agent started
 * with `ip netns exec NS` configures NS.
 */
@injectable()
export class ProcSysctlExecutor implements SysctlExecutor {
  constructor(@inject(AgentConfig) private readonly config: Pick<AgentConfig, 'sysctlRoot'>) {}

  async read(keys: readonly string[]): Promise<Map<string, string | undefined>> {
    const values = await Promise.all(
      keys.map((key) =>
        readFile(join(this.config.sysctlRoot, checkSysctlKey(key)), 'utf8').then(
          (text) => text.trim(),
          () => undefined,
        ),
      ),
    );
    return new Map(keys.map((key, i) => [key, values[i]]));
  }

  async apply(ops: readonly SysctlOp[]): Promise<void> {
    for (const op of ops) {
      try {
        await writeFile(join(this.config.sysctlRoot, checkSysctlKey(op.key)), `${op.value}\n`);
      } catch (err) {
        throw new ApplyFailedError(`cannot set ${quote(op.key)}: ${(err as Error).message}`, { cause: err });
      }
    }
  }
}

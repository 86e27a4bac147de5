import { inject, injectable } from 'tsyringe';
import { AgentConfig } from '../config/agent-config';
import { toIpBatchLine, type IpPlan } from '../planners/ip-plan';
import { CommandRunner } from '../../shared/exec/command-runner';
import type { IpExecutor } from './ip-executor';

/** One `ip -batch -` process for the whole plan: one process start instead of one per operation. */
@injectable()
export class IprouteIpExecutor implements IpExecutor {
  constructor(
    @inject(CommandRunner) private readonly run: CommandRunner,
    @inject(AgentConfig) private readonly config: Pick<AgentConfig, 'ipBinary'>,
  ) {}

  async apply(plan: IpPlan): Promise<void> {
    if (plan.ops.length === 0) return;
    // Without -force, ip stops at the first failing line and exits non-zero.
    const input = plan.ops.map((op) => `${toIpBatchLine(op)}\n`).join('');
    await this.run.exec(this.config.ipBinary, ['-batch', '-'], { input });
  }
}

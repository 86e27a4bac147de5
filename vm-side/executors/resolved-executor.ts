import { inject, injectable } from 'tsyringe';
import { token } from '../../shared/di/token';
import { CommandRunner } from '../../shared/exec/command-runner';
import { AgentConfig } from '../config/agent-config';
import {
  parseResolvectlDns,
  RESOLVED_INACTIVE,
  type ResolvedOp,
  type ResolvedState,
} from '../planners/plan-resolved-dns';
import { isExecutable } from './find-executable';

/** systemd-resolved's per-link DNS, through `resolvectl`. */
export interface ResolvedExecutor {
  observe(dev: string): Promise<ResolvedState>;
  apply(op: ResolvedOp): Promise<void>;
}
export const ResolvedExecutor = token<ResolvedExecutor>('ResolvedExecutor');

/**
 * Detects resolved as setup-ip does: `resolvectl` exists and `systemctl
 * is-enabled -q systemd-resolved.service` succeeds. resolvectl talks to the
 * one resolved of the machine over D-Bus, not to the caller's network
 * namespace, so the simulator turns this off (QNET_RESOLVECTL='').
 */
@injectable()
export class ResolvectlExecutor implements ResolvedExecutor {
  constructor(
    @inject(CommandRunner) private readonly run: CommandRunner,
    @inject(AgentConfig) private readonly config: Pick<AgentConfig, 'resolvectlBinary' | 'systemctlBinary'>,
  ) {}

  async observe(dev: string): Promise<ResolvedState> {
    const { resolvectlBinary, systemctlBinary } = this.config;
    if (!(await isExecutable(resolvectlBinary)) || systemctlBinary === '') return RESOLVED_INACTIVE;
    try {
      await this.run.exec(systemctlBinary, ['is-enabled', '-q', 'systemd-resolved.service'], { timeoutMs: 10_000 });
    } catch {
      return RESOLVED_INACTIVE;
    }
    const { stdout } = await this.run.exec(resolvectlBinary, ['dns', dev], { timeoutMs: 10_000 });
    return { active: true, servers: parseResolvectlDns(stdout) };
  }

  async apply(op: ResolvedOp): Promise<void> {
    const args = op.kind === 'set-dns' ? ['dns', op.dev, ...op.servers] : ['revert', op.dev];
    await this.run.exec(this.config.resolvectlBinary, args, { timeoutMs: 10_000 });
  }
}

import type { DependencyContainer } from 'tsyringe';
import type { AgentConfig } from '../config/agent-config';

/** What a command needs from the composition root; main.ts provides it, tests hand in their own. */
export interface AgentRoot {
  config(env: NodeJS.ProcessEnv, overrides?: Partial<AgentConfig>): AgentConfig;
  build(config: AgentConfig, env: NodeJS.ProcessEnv): DependencyContainer;
  /** Runs after the agent's own documents re-applied and before the socket serves (the firewall's converge). */
  convergeExtras(container: DependencyContainer): Promise<void>;
}

/** Flags shared by every command that touches state: they override QNET_STATE_DIR and QNET_RUN_DIR. */
export const PATH_FLAGS = {
  'state-dir': { type: 'string' },
  'run-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function pathOverrides(values: { 'state-dir'?: string; 'run-dir'?: string }): Partial<AgentConfig> {
  return {
    ...(values['state-dir'] ? { stateDir: values['state-dir'] } : {}),
    ...(values['run-dir'] ? { runDir: values['run-dir'] } : {}),
  };
}

import { inject, injectable } from 'tsyringe';
import { Logger } from '../../shared/logging/logger';
import { Sleep } from '../boot/sleep';
import { AgentConfig } from '../config/agent-config';
import { FIREWALL_TABLE } from '../firewall/planners/firewall-names';
import { NftTableObserver } from '../observers/nft-table-observer';
import { QUBES_TABLE } from '../planners/base-ruleset';
import { firewallHookPaths } from './hook-paths';
import { HookScanner } from './hook-scanner';
import { describeHookOutcome, HookScriptRunner, succeeded, type HookRunOutcome } from './hook-script-runner';
import { planFirewallHooks, type FirewallHooksPlan } from './planners/plan-firewall-hooks';

/** How often a start without tables looks again (the boot-time pull or a push creates them). */
export const TABLES_POLL_MS = 1_000;

export interface FirewallHooksReport {
  readonly plan: FirewallHooksPlan;
  readonly outcomes: readonly { readonly path: string; readonly outcome: HookRunOutcome }[];
}

/**
 * The user's firewall customization points, run by the agent at the moment
 * upstream's qubes-firewall runs them: once per start of the firewall service
 * (here: once per `qnet-agent serve`), after the firewall tables exist. By
 * then the client chains and their drop policies are in force (the agent
 * converged before it calls this), so a script that fails, hangs or is
 * killed leaves the qube as filtered as before; nothing here removes,
 * skips or rolls back any rule, and a script's failure never stops the next.
 */
@injectable()
export class FirewallHooks {
  private readonly stopping = new AbortController();

  constructor(
    @inject(AgentConfig) private readonly config: Pick<AgentConfig, 'hooksRoot' | 'hookTimeoutMs'>,
    @inject(HookScanner) private readonly scanner: HookScanner,
    @inject(HookScriptRunner) private readonly runner: HookScriptRunner,
    @inject(NftTableObserver) private readonly tables: NftTableObserver,
    @inject(Sleep) private readonly sleep: Sleep,
    @inject(Logger) private readonly log: Logger,
  ) {}

  /**
   * Waits for table `ip qubes` (the custom-input/custom-forward chains the
   * scripts fill) and `ip qubes-firewall`, then runs the plan. On a real
   * qube qnet-agent-init made them before the agent starts; a first boot
   * with dom0 unreachable gets them from the first document that arrives.
   */
  async runWhenTablesExist(): Promise<FirewallHooksReport | undefined> {
    const paths = firewallHookPaths(this.config.hooksRoot);
    const plan = planFirewallHooks(paths, await this.scanner.scan(paths));
    if (!plan.enabled) {
      this.log.debug(`firewall hooks not run: ${plan.reason}`);
      return undefined;
    }
    let waited = false;
    while (!(await this.tablesExist())) {
      if (this.stopping.signal.aborted) return undefined;
      if (!waited) this.log.info(`firewall hooks wait for tables ip ${QUBES_TABLE} and ip ${FIREWALL_TABLE}`);
      waited = true;
      await this.sleep(TABLES_POLL_MS, this.stopping.signal);
    }
    if (this.stopping.signal.aborted) return undefined;
    return this.runNow();
  }

  /** Scans again (a wait may have been long), plans, runs each script in order, logs each outcome. */
  async runNow(): Promise<FirewallHooksReport> {
    const paths = firewallHookPaths(this.config.hooksRoot);
    const plan = planFirewallHooks(paths, await this.scanner.scan(paths));
    if (!plan.enabled) {
      this.log.debug(`firewall hooks not run: ${plan.reason}`);
      return { plan, outcomes: [] };
    }
    for (const s of plan.skipped) this.log.debug(`firewall hook ${s.path} not run: ${s.reason}`);
    const outcomes: { path: string; outcome: HookRunOutcome }[] = [];
    for (const script of plan.scripts) {
      if (this.stopping.signal.aborted) break;
      const outcome = await this.runner.run(script.path, {
        timeoutMs: this.config.hookTimeoutMs,
        signal: this.stopping.signal,
      });
      outcomes.push({ path: script.path, outcome });
      const line = `firewall hook ${script.path} ${describeHookOutcome(outcome)}`;
      if (succeeded(outcome)) this.log.info(line);
      else this.log.warn(line);
    }
    const failed = outcomes.filter((o) => !succeeded(o.outcome)).length;
    this.log.info('firewall hooks done', { ran: outcomes.length, failed });
    return { plan, outcomes };
  }

  private async tablesExist(): Promise<boolean> {
    try {
      const [qubes, firewall] = await Promise.all([
        this.tables.observe('ip', QUBES_TABLE),
        this.tables.observe('ip', FIREWALL_TABLE),
      ]);
      return qubes !== undefined && firewall !== undefined;
    } catch (err) {
      this.log.warn(`firewall hooks: cannot read the tables: ${(err as Error).message}`);
      return false;
    }
  }

  /** The agent is stopping: no new script starts, and a running one is killed with its group. */
  dispose(): Promise<void> {
    this.stopping.abort();
    return Promise.resolve();
  }
}

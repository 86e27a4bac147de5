import type { Logger } from '../shared/logging/logger';
import { isEmptyHotplugPlan, planHotplug, type HotplugQube, type ObservedVif } from './planners/plan-hotplug';
import type { SimLink } from './planners/plan-sim';

/** What the supervisor needs of qnetd: the qubes, pushing again, and word of pushes. */
export interface HotplugSource {
  qubes(): Promise<HotplugQube[]>;
  /** Pushes every document of these qubes again and waits; resolves to the qubes a push failed for. */
  pushAgain(qubes: readonly string[]): Promise<string[]>;
  /** Called after qnetd pushed a qube's NetConfig (done or failed); returns the unsubscribe. */
  onNetConfigPush(listener: () => void): () => void;
}

/** The simulated Xen: the cables as they are, and attaching and detaching them. */
export interface HotplugCables {
  observe(qubes: readonly string[]): Promise<ObservedVif[]>;
  plug(link: SimLink): Promise<void>;
  unplug(vif: ObservedVif): Promise<void>;
}

export interface HotplugPass {
  readonly plugged: readonly SimLink[];
  readonly unplugged: readonly ObservedVif[];
  readonly repushed: readonly string[];
  /** Qubes whose push failed; they are pushed again on the next pass. */
  readonly owed: readonly string[];
}

export interface HotplugOptions {
  /** A pass this often even without events: a missed event (qnetd restarted) is caught up. */
  readonly pollMs: number;
  /** A failed push again after this long. */
  readonly retryMs: number;
}

/**
 * qubesd's and Xen's part of a netvm change, for the simulation: when a
 * running qube's netvm changes, its vif leaves the old netvm and a new one
 * is attached at the new netvm (none: detached). Then the new provider and
 * the qube are pushed again, since the pushes the change caused may have
 * found no link to configure. Triggered by qnetd's NetConfig pushes, which
 * every netvm change causes, and by a slow poll.
 */
export class HotplugSupervisor {
  private readonly simQubes: ReadonlySet<string>;
  private owed = new Set<string>();
  private running: Promise<void> | undefined;
  private again = false;
  private disposed = false;
  private unsubscribe: (() => void) | undefined;
  private poll: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly source: HotplugSource,
    private readonly cables: HotplugCables,
    simQubes: readonly string[],
    private readonly log: Logger,
    private readonly opts: HotplugOptions,
    private readonly onPass: (pass: HotplugPass) => void = () => {},
  ) {
    this.simQubes = new Set(simQubes);
  }

  /** Subscribes, then makes one pass; resolves when that pass is done. */
  async start(): Promise<void> {
    this.unsubscribe = this.source.onNetConfigPush(() => this.kick());
    this.poll = setInterval(() => this.kick(), this.opts.pollMs);
    this.kick();
    await this.idle();
  }

  /** Asks for a pass; passes never overlap, and a burst of events makes at most one more. */
  kick(): void {
    if (this.disposed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => (this.running = undefined));
  }

  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        const pass = await this.pass();
        this.onPass(pass);
        if (pass.owed.length && !this.disposed) {
          clearTimeout(this.retry);
          this.retry = setTimeout(() => this.kick(), this.opts.retryMs);
        }
      } catch (err) {
        // qnetd restarting, a namespace going away under `down`: the next event or poll tries again.
        this.log.warn(`hot-plug pass failed: ${(err as Error).message}`);
      }
    } while (this.again && !this.disposed);
  }

  /** One look at qnetd and the kernel, and whatever closes the gap. */
  async pass(): Promise<HotplugPass> {
    const qubes = await this.source.qubes();
    const observed = await this.cables.observe([...this.simQubes]);
    const plan = planHotplug(qubes, this.simQubes, observed);
    if (!isEmptyHotplugPlan(plan)) {
      for (const vif of plan.unplug) {
        this.log.info(`detach ${vif.vif} from ${vif.provider}`);
        await this.cables.unplug(vif);
      }
      for (const link of plan.plug) {
        this.log.info(`attach ${link.vif} at ${link.provider} for ${link.client}`);
        await this.cables.plug(link);
      }
    }
    // A qube removed meanwhile is owed nothing: pushing it would fail for good.
    const known = new Set(qubes.map((q) => q.name));
    const repush = [...new Set([...this.owed, ...plan.repush])].filter((q) => known.has(q));
    let owed: string[] = [];
    if (repush.length) {
      this.log.info(`push again: ${repush.join(' ')}`);
      owed = await this.source.pushAgain(repush).catch((err: unknown) => {
        this.log.warn(`push again failed: ${(err as Error).message}`);
        return repush;
      });
    }
    this.owed = new Set(owed);
    return { plugged: plan.plug, unplugged: plan.unplug, repushed: repush, owed };
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.unsubscribe?.();
    clearInterval(this.poll);
    clearTimeout(this.retry);
    await this.idle();
  }
}

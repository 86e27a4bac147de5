import { linkOf, type SimLink } from './plan-sim';

/** What the hot-plug supervisor needs of a qube, as qnetd reports it. */
export interface HotplugQube {
  readonly name: string;
  readonly qid: number;
  readonly netvm: string | null;
  readonly power: 'running' | 'halted';
  /** Xen's domain id while running (none while its domain is still being built): names its vif. */
  readonly xid?: number;
  readonly mac: string;
}

/** A provider end found in a qube's namespace. */
export interface ObservedVif {
  readonly provider: string;
  readonly vif: string;
}

export interface HotplugPlan {
  /** Detached first: the client's eth0 (the peer) must be gone before its new cable takes the name. */
  readonly unplug: readonly ObservedVif[];
  readonly plug: readonly SimLink[];
  /**
   * Qubes to push again once the cables are in place: the pushes the netvm
   * change caused may have reached them while their link did not exist yet.
   */
  readonly repush: readonly string[];
}

/** Xen's vif names, `vif{xid}.0`: only these are cables; the uplink and lo are not. */
export const VIF_NAME = /^vif\d+\.0$/;

/**
 * The cables Xen would have now: one per running qube of the simulation
 * whose netvm is a running qube of the simulation, named after the qube's
 * current xid (a restart renames it). A qube made by hand with `qnet
 * create` has no namespace, so it gets no cable.
 */
export function desiredCables(qubes: readonly HotplugQube[], simQubes: ReadonlySet<string>): SimLink[] {
  const running = new Set(qubes.filter((q) => q.power === 'running' && simQubes.has(q.name)).map((q) => q.name));
  return qubes.flatMap((q) =>
    running.has(q.name) && q.xid !== undefined && q.netvm !== null && running.has(q.netvm)
      ? [linkOf({ name: q.name, xid: q.xid, mac: q.mac }, q.netvm)]
      : [],
  );
}

/**
 * What qubesd does on a netvm change of a running qube, as a diff: a vif no
 * qube should have (its qube moved, lost its netvm, stopped or is gone) is
 * detached; a missing one is attached. From the converged state it is empty.
 */
export function planHotplug(
  qubes: readonly HotplugQube[],
  simQubes: ReadonlySet<string>,
  observed: readonly ObservedVif[],
): HotplugPlan {
  const want = desiredCables(qubes, simQubes);
  const same = (a: ObservedVif, b: ObservedVif) => a.provider === b.provider && a.vif === b.vif;
  const unplug = observed.filter((o) => !want.some((w) => same(w, o)));
  const plug = want.filter((w) => !observed.some((o) => same(w, o)));
  const repush = [...new Set(plug.flatMap((l) => [l.provider, l.client]))];
  return { unplug, plug, repush };
}

export function isEmptyHotplugPlan(plan: HotplugPlan): boolean {
  return plan.unplug.length === 0 && plan.plug.length === 0;
}

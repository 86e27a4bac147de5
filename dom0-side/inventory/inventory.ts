import { QUBE_NAME_RE } from '../../services/schemas/qube-name';
import { quote } from '../../shared/errors/qnet-error';
import { MAX_QUBE_ID, MIN_DISPID, planAddresses } from '../address-plan/address-plan';
import { checkAddressOverride, withCanonicalIp6 } from './address-override';
import { InvalidInventoryError } from './inventory-error';
import { MAX_XID, QUBE_CLASSES, type Qube } from './qube';

/** Names Qubes refuses besides the pattern: keywords of its own CLI, and the stub-domain suffix. */
/** As qubesd stores a `mac` (its setter lowercases and checks this shape). */
export const MAC_RE = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/;

const RESERVED_NAMES = new Set(['none', 'default', 'dom0']);

function fail(qube: string, message: string): never {
  throw new InvalidInventoryError(`qube ${quote(qube, 32)}: ${message}`);
}

function isId(value: unknown, min = 1): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= MAX_QUBE_ID;
}

function checkQube(q: Qube): void {
  if (typeof q.name !== 'string' || !QUBE_NAME_RE.test(q.name)) {
    throw new InvalidInventoryError(
      `invalid qube name ${quote(q.name, 40)}: a letter, then letters, digits, "_", "." or "-", 31 at most`,
    );
  }
  if (RESERVED_NAMES.has(q.name) || q.name.endsWith('-dm')) fail(q.name, 'name is reserved');
  if (!isId(q.qid)) fail(q.name, `qid must be an integer 1-${MAX_QUBE_ID}`);
  if (!QUBE_CLASSES.includes(q.klass)) fail(q.name, `unknown class ${quote(q.klass)}`);
  // qubesd draws dispids from 0-9999; qids start at 1 (0 is dom0).
  if (q.klass === 'DispVM' ? !isId(q.dispid, MIN_DISPID) : q.dispid !== undefined) {
    fail(q.name, `a DispVM has a dispid 0-${MAX_QUBE_ID} and no other class has one`);
  }
  if (q.power !== 'running' && q.power !== 'halted') fail(q.name, `unknown power state ${quote(q.power)}`);
  if (q.netvm !== null && typeof q.netvm !== 'string') fail(q.name, 'netvm must be a name or null');
  if (q.netvm === q.name) fail(q.name, 'a qube cannot be its own netvm');
  for (const [key, value] of Object.entries(q.features)) {
    if (typeof value !== 'string') fail(q.name, `feature ${quote(key)} is not a string`);
  }
  if (q.xid !== undefined) {
    if (typeof q.xid !== 'number' || !Number.isInteger(q.xid) || q.xid < 1 || q.xid > MAX_XID) {
      fail(q.name, `xid must be an integer 1-${MAX_XID}`);
    }
  }
  if (q.mac !== undefined && (typeof q.mac !== 'string' || !MAC_RE.test(q.mac))) {
    fail(q.name, `mac ${quote(q.mac)} is not a lowercase MAC address`);
  }
  const overrideError = checkAddressOverride(q);
  if (overrideError) fail(q.name, overrideError);
  // A rule qnet cannot send is no reason to refuse the inventory: the documents
  // fail that qube's firewall closed and report it (qube-network.ts).
}

/** `focus` is the qube being changed: a clash is reported on it, whichever came first in the list. */
function checkUnique(qubes: readonly Qube[], focus?: string): void {
  const seen = new Map<string, string>();
  const claim = (what: string, value: string, owner: string) => {
    const prior = seen.get(`${what}=${value}`);
    if (prior !== undefined) {
      const [blamed, other] = prior === focus ? [prior, owner] : [owner, prior];
      fail(blamed, `${what} ${value} is already used by ${quote(other, 32)}`);
    }
    seen.set(`${what}=${value}`, owner);
  };
  for (const q of qubes) {
    claim('qid', String(q.qid), q.name);
    if (q.dispid !== undefined) claim('dispid', String(q.dispid), q.name);
    // Two running domains never share a Xen id, and two vifs never a name.
    if (q.xid !== undefined) claim('xid', String(q.xid), q.name);
    const addrs = planAddresses(q);
    claim('ip', addrs.ip, q.name);
    claim('ip6', addrs.ip6, q.name);
  }
}

/** Settings of the whole system, as qubesd's global properties. */
export interface InventoryGlobals {
  /** Qubes's `default_netvm`: the netvm of every qube whose `netvm` is at its default; null for none. */
  readonly defaultNetvm?: string | null;
  /**
   * The last Xen domain id handed out (Xen's allocator state, which the
   * embedded store keeps): the next start takes the one after, so an id is
   * not reused soon after its qube stopped. Absent: the highest xid held.
   */
  readonly lastXid?: number;
}

function checkLastXid(lastXid: unknown): void {
  if (typeof lastXid !== 'number' || !Number.isInteger(lastXid) || lastXid < 0 || lastXid > MAX_XID) {
    throw new InvalidInventoryError(`last xid must be an integer 0-${MAX_XID}`);
  }
}

/** A halted qube has no domain, so no Xen id (qubesd says -1): one a record still carries is dropped. */
function withoutStaleXid(q: Qube): Qube {
  if (q.power === 'running' || q.xid === undefined) return q;
  const { xid: _stale, ...rest } = q;
  return rest;
}

/** A qube following `default_netvm` has it as netvm; the default netvm itself (no self-loop) has none. */
function resolveDefaultNetvm(q: Qube, defaultNetvm: string | null): Qube {
  if (q.netvmIsDefault !== true) return q;
  const netvm = defaultNetvm === q.name ? null : defaultNetvm;
  return q.netvm === netvm ? q : { ...q, netvm };
}

function checkDefaultNetvm(byName: ReadonlyMap<string, Qube>, defaultNetvm: string | null): void {
  if (defaultNetvm === null) return;
  const q = byName.get(defaultNetvm);
  if (!q) throw new InvalidInventoryError(`default_netvm ${quote(defaultNetvm, 32)} does not exist`);
  if (!q.providesNetwork)
    throw new InvalidInventoryError(`default_netvm ${quote(defaultNetvm, 32)} does not provide network`);
}

function checkNetvms(byName: ReadonlyMap<string, Qube>, focus?: string): void {
  for (const q of byName.values()) {
    if (q.netvm === null) continue;
    const netvm = byName.get(q.netvm);
    if (!netvm) fail(q.name, `netvm ${quote(q.netvm, 32)} does not exist`);
    if (!netvm.providesNetwork) {
      // Turning provides_network off on a provider is refused on the provider, not on its client.
      if (q.netvm === focus) fail(focus, `cannot stop providing network: it is netvm of ${quote(q.name, 32)}`);
      fail(q.name, `netvm ${quote(q.netvm, 32)} does not provide network`);
    }
  }
  // Colour walk: 1 = on the current path, 2 = known to reach a root.
  const state = new Map<string, 1 | 2>();
  // The changed qube first, so a loop it closes is reported on it.
  const starts = focus !== undefined && byName.has(focus) ? [focus, ...byName.keys()] : byName.keys();
  for (const start of starts) {
    const path: string[] = [];
    let name: string | null = start;
    while (name !== null && state.get(name) !== 2) {
      if (state.get(name) === 1) fail(name, `netvm loop through ${path.map((n) => quote(n, 32)).join(' -> ')}`);
      state.set(name, 1);
      path.push(name);
      name = byName.get(name)!.netvm;
    }
    for (const n of path) state.set(n, 2);
  }
}

/**
 * The validated set of qubes. Every instance satisfies Qubes's rules (names,
 * ids, netvm exists and provides network, no loops, unique addresses);
 * changes return a new inventory, so a half-applied change is never observed.
 */
export class Inventory {
  private constructor(
    private readonly byName: ReadonlyMap<string, Qube>,
    /** Qubes's `default_netvm`. */
    readonly defaultNetvm: string | null = null,
    /** See InventoryGlobals.lastXid. */
    readonly lastXid = 0,
  ) {}

  static readonly EMPTY = new Inventory(new Map());

  /** `focus`: the qube a change is about, named by any error the change causes. */
  static of(qubes: Iterable<Qube>, globals: InventoryGlobals = {}, focus?: string): Inventory {
    const defaultNetvm = globals.defaultNetvm ?? null;
    const list: Qube[] = [];
    const byName = new Map<string, Qube>();
    for (const given of qubes) {
      checkQube(given);
      const q = resolveDefaultNetvm(withoutStaleXid(withCanonicalIp6(given)), defaultNetvm);
      list.push(q);
      if (byName.has(q.name)) fail(q.name, 'name is used twice');
      byName.set(q.name, q);
    }
    checkUnique(list, focus);
    checkDefaultNetvm(byName, defaultNetvm);
    checkNetvms(byName, focus);
    // An older state file (or qubesd) says nothing: the highest id in use is the last handed out.
    const lastXid = globals.lastXid ?? Math.max(0, ...list.map((q) => q.xid ?? 0));
    checkLastXid(lastXid);
    return new Inventory(byName, defaultNetvm, lastXid);
  }

  private get globals(): InventoryGlobals {
    return { defaultNetvm: this.defaultNetvm, lastXid: this.lastXid };
  }

  /** The same qubes under another `default_netvm` (qubes following it move with it). */
  withDefaultNetvm(defaultNetvm: string | null): Inventory {
    return Inventory.of(this.byName.values(), { ...this.globals, defaultNetvm });
  }

  get size(): number {
    return this.byName.size;
  }

  get(name: string): Qube | undefined {
    return this.byName.get(name);
  }

  /** The qubes keyed by name, for planners that only read. */
  get map(): ReadonlyMap<string, Qube> {
    return this.byName;
  }

  /** In name order, so anything derived from it is deterministic. */
  list(): Qube[] {
    return [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Adds or replaces a qube (by name); `lastXid` when the change handed out a new Xen id. */
  with(qube: Qube, lastXid = this.lastXid): Inventory {
    const next = new Map(this.byName);
    next.set(qube.name, qube);
    return Inventory.of(next.values(), { ...this.globals, lastXid }, qube.name);
  }

  /** Removes a qube; refused while another qube still uses it as netvm. */
  without(name: string): Inventory {
    if (!this.byName.has(name)) fail(name, 'no such qube');
    const next = new Map(this.byName);
    // Qubes refuses too: the qubes following default_netvm would silently lose their network.
    if (this.defaultNetvm === name) fail(name, 'it is default_netvm; change default_netvm first');
    next.delete(name);
    return Inventory.of(next.values(), this.globals);
  }
}

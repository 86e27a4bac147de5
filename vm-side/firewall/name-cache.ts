import { inject, injectable } from 'tsyringe';
import { token } from '../../shared/di/token';
import { canonicalIpv6, isIpv6 } from '../../shared/net/ipv6';
import { isIpv4 } from '../../shared/net/ipv4';
import { HostResolver, type FamilyLookup } from './host-resolver';
import { FAMILIES, type Family, type FamilyResult, type NameTable, type ResolvedName } from './planners/firewall-model';

/** Bounds on how long an answer is trusted: a TTL of 0 must not spin, a huge one must not pin a stale address. */
export const MIN_TTL_S = 10;
export const MAX_TTL_S = 3600;
/** How soon a failed lookup is retried, and how long "no such record" is believed (RFC 2308's spirit). */
export const RETRY_S = 30;
export const NEGATIVE_TTL_S = 300;
/** Lookups in flight at once: a document can name hundreds of hosts. */
const CONCURRENCY = 16;

/**
 * How long an address stays matched by a `dsthost` rule after the name's
 * answer stopped giving it (a rotation on TTL refresh, or a failed refresh).
 * A client's own resolver may hold the old answer for as long as its TTL,
 * and this service trusts a TTL up to MAX_TTL_S, so an address could have
 * stayed in force that long anyway; an established flow (a download, an SSH
 * session) gets the same hour. 0 turns the grace off: the rules follow each
 * answer at once. Only addresses an earlier answer gave are ever kept.
 */
export const DsthostGraceMs = token<number>('DsthostGraceMs');
export const DEFAULT_DSTHOST_GRACE_MS = MAX_TTL_S * 1000;
/**
 * Addresses remembered per name and family: a pool that hands out a few of
 * many addresses per answer must not grow a rule without bound. Past the cap
 * the address whose grace ends first is forgotten (narrower, never wider).
 */
export const MAX_GRACED_PER_FAMILY = 64;

type Graced = Record<Family, ReadonlyMap<string, number>>;

interface Entry {
  /** The latest answer, without graced addresses. */
  readonly answer: ResolvedName;
  readonly expiresAt: number;
  /** Address to the time (ms) its grace ends. */
  readonly graced: Graced;
}

const NO_GRACE: Graced = { ip: new Map(), ip6: new Map() };

/**
 * `dsthost` answers with their expiry. Only names that are missing or expired
 * are looked up again, so a refresh touches the names whose TTL ran out and
 * the planner re-renders only the clients whose answers changed.
 */
@injectable()
export class NameCache {
  private readonly entries = new Map<string, Entry>();
  private readonly view = new Map<string, ResolvedName>();

  constructor(
    @inject(HostResolver) private readonly resolver: HostResolver,
    @inject(DsthostGraceMs) private readonly graceMs: number = DEFAULT_DSTHOST_GRACE_MS,
  ) {}

  /** The names of `names` that are unknown or expired at `nowMs`. */
  due(names: Iterable<string>, nowMs: number): string[] {
    return [...new Set(names)].filter((n) => (this.entries.get(n)?.expiresAt ?? -Infinity) <= nowMs);
  }

  /** Looks up every name of `names` that is unknown or expired at `nowMs`. */
  async refresh(names: Iterable<string>, nowMs: number): Promise<void> {
    const due = this.due(names, nowMs);
    let next = 0;
    const worker = async () => {
      while (next < due.length) {
        const name = due[next++];
        this.store(name, await this.lookup(name), nowMs);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, due.length) }, worker));
  }

  /** Forgets names no rule uses any more. */
  retain(names: ReadonlySet<string>): void {
    for (const name of [...this.entries.keys()]) {
      if (!names.has(name)) {
        this.entries.delete(name);
        this.view.delete(name);
      }
    }
  }

  /** Forgets the graced addresses whose grace ended at `nowMs`; the names' rules stop matching them. */
  prune(nowMs: number): void {
    for (const [name, entry] of this.entries) {
      const graced = liveGrace(entry.graced, nowMs);
      if (graced === entry.graced) continue;
      this.entries.set(name, { ...entry, graced });
      this.publish(name, entry.answer, graced);
    }
  }

  table(): NameTable {
    return this.view;
  }

  /** The earliest time something changes: an answer's expiry (a refresh is due) or the end of a grace. */
  nextExpiry(): number | undefined {
    let at: number | undefined;
    const consider = (t: number) => (at = at === undefined ? t : Math.min(at, t));
    for (const e of this.entries.values()) {
      consider(e.expiresAt);
      for (const f of FAMILIES) for (const until of e.graced[f].values()) consider(until);
    }
    return at;
  }

  private async lookup(name: string): Promise<{ ip: FamilyLookup; ip6: FamilyLookup }> {
    try {
      return await this.resolver.resolve(name);
    } catch {
      return { ip: { error: 'lookup failed' }, ip6: { error: 'lookup failed' } };
    }
  }

  private store(name: string, lookup: { ip: FamilyLookup; ip6: FamilyLookup }, nowMs: number): void {
    const answer: ResolvedName = { ip: toResult(lookup.ip, 'ip'), ip6: toResult(lookup.ip6, 'ip6') };
    const previous = this.entries.get(name);
    const graced = previous ? this.nextGrace(previous, answer, nowMs) : NO_GRACE;
    this.entries.set(name, { answer, expiresAt: nowMs + lifetimeS(lookup.ip, lookup.ip6) * 1000, graced });
    this.publish(name, answer, graced);
  }

  /**
   * What the previous answer (and its graces) leaves behind: each address it
   * gave that the new answer does not starts its grace now; one the new
   * answer gives again is current, not graced; an ended grace is dropped.
   */
  private nextGrace(previous: Entry, answer: ResolvedName, nowMs: number): Graced {
    if (this.graceMs <= 0) return NO_GRACE;
    const next = { ip: new Map<string, number>(), ip6: new Map<string, number>() };
    for (const family of FAMILIES) {
      const current = new Set(addressesOf(answer[family]));
      for (const [address, until] of previous.graced[family]) {
        if (until > nowMs && !current.has(address)) next[family].set(address, until);
      }
      for (const address of addressesOf(previous.answer[family])) {
        if (!current.has(address)) next[family].set(address, nowMs + this.graceMs);
      }
      capGrace(next[family]);
    }
    return next;
  }

  /** Keeps the previous object when nothing changed, so planner keys (and chains) stay put. */
  private publish(name: string, answer: ResolvedName, graced: Graced): void {
    const lists = { ip: [...graced.ip.keys()].sort(), ip6: [...graced.ip6.keys()].sort() };
    const value: ResolvedName = lists.ip.length + lists.ip6.length > 0 ? { ...answer, graced: lists } : answer;
    const old = this.view.get(name);
    if (!old || JSON.stringify(old) !== JSON.stringify(value)) this.view.set(name, value);
  }
}

function addressesOf(result: FamilyResult): readonly string[] {
  return 'addresses' in result ? result.addresses : [];
}

/** The same object when no grace has ended, so an idle prune changes nothing. */
function liveGrace(graced: Graced, nowMs: number): Graced {
  const ended = FAMILIES.some((f) => [...graced[f].values()].some((until) => until <= nowMs));
  if (!ended) return graced;
  const keep = (m: ReadonlyMap<string, number>) => new Map([...m].filter(([, until]) => until > nowMs));
  return { ip: keep(graced.ip), ip6: keep(graced.ip6) };
}

function capGrace(graced: Map<string, number>): void {
  if (graced.size <= MAX_GRACED_PER_FAMILY) return;
  const byEnd = [...graced].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
  for (const [address] of byEnd.slice(0, graced.size - MAX_GRACED_PER_FAMILY)) graced.delete(address);
}

/** Sorted, canonical, and only literals of the right family: a resolver's answer is not trusted to be clean. */
function toResult(lookup: FamilyLookup, family: 'ip' | 'ip6'): FamilyResult {
  if ('error' in lookup) return { error: lookup.error };
  const valid = family === 'ip' ? lookup.addresses.filter(isIpv4) : lookup.addresses.filter(isIpv6).map(canonicalIpv6);
  return { addresses: [...new Set(valid)].sort() };
}

function lifetimeS(a: FamilyLookup, b: FamilyLookup): number {
  const ttls = [a, b].flatMap((l) =>
    'addresses' in l && l.addresses.length > 0 && l.ttl !== undefined ? [l.ttl] : [],
  );
  const failed = 'error' in a || 'error' in b;
  if (ttls.length === 0) return failed ? RETRY_S : NEGATIVE_TTL_S;
  const ttl = Math.min(MAX_TTL_S, Math.max(MIN_TTL_S, Math.min(...ttls)));
  // One family failed: retry it soon even though the other answer is good for longer.
  return failed ? Math.min(ttl, RETRY_S) : ttl;
}

import { inject, injectable } from 'tsyringe';
import { canonicalIpv6, isIpv6 } from '../../shared/net/ipv6';
import { isIpv4 } from '../../shared/net/ipv4';
import { HostResolver, type FamilyLookup } from './host-resolver';
import type { FamilyResult, NameTable, ResolvedName } from './planners/firewall-model';

/** Bounds on how long an answer is trusted: a TTL of 0 must not spin, a huge one must not pin a stale address. */
export const MIN_TTL_S = 10;
export const MAX_TTL_S = 3600;
/** How soon a failed lookup is retried, and how long "no such record" is believed (RFC 2308's spirit). */
export const RETRY_S = 30;
export const NEGATIVE_TTL_S = 300;
/** Lookups in flight at once: a document can name hundreds of hosts. */
const CONCURRENCY = 16;

interface Entry {
  readonly value: ResolvedName;
  readonly expiresAt: number;
}

/**
 * `dsthost` answers with their expiry. Only names that are missing or expired
 * are looked up again, so a refresh touches the names whose TTL ran out and
 * the planner re-renders only the clients whose answers changed.
 */
@injectable()
export class NameCache {
  private readonly entries = new Map<string, Entry>();
  private readonly view = new Map<string, ResolvedName>();

  constructor(@inject(HostResolver) private readonly resolver: HostResolver) {}

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

  table(): NameTable {
    return this.view;
  }

  /** The earliest expiry among the held answers, when a refresh is due. */
  nextExpiry(): number | undefined {
    let at: number | undefined;
    for (const e of this.entries.values()) if (at === undefined || e.expiresAt < at) at = e.expiresAt;
    return at;
  }

  private async lookup(name: string): Promise<{ ip: FamilyLookup; ip6: FamilyLookup }> {
    try {
      return await this.resolver.resolve(name);
    } catch {
      return { ip: { error: 'lookup failed' }, ip6: { error: 'lookup failed' } };
    }
  }

  private store(name: string, answer: { ip: FamilyLookup; ip6: FamilyLookup }, nowMs: number): void {
    const value: ResolvedName = { ip: toResult(answer.ip, 'ip'), ip6: toResult(answer.ip6, 'ip6') };
    this.entries.set(name, { value, expiresAt: nowMs + lifetimeS(answer.ip, answer.ip6) * 1000 });
    // Keep the previous object when nothing changed, so planner keys (and chains) stay put.
    const old = this.view.get(name);
    if (!old || JSON.stringify(old) !== JSON.stringify(value)) this.view.set(name, value);
  }
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

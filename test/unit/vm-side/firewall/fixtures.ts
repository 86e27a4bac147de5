import type { ClientFirewall } from '../../../../services/firewall-sync';
import type { FirewallRule } from '../../../../services/schemas/firewall-rule';
import type { NftBatch, NftExecutor } from '../../../../vm-side/executors/nft-executor';
import type { NftCommand } from '../../../../vm-side/planners/nft-json';
import type { DocumentStore, StoredDocument } from '../../../../vm-side/state/document-store';
import type { Clock } from '../../../../vm-side/firewall/clock';
import type { HostLookup, HostResolver } from '../../../../vm-side/firewall/host-resolver';
import type { ConntrackExecutor } from '../../../../vm-side/firewall/conntrack-executor';
import type { ConntrackSweep } from '../../../../vm-side/firewall/planners/firewall-model';

export const T0 = 1_700_000_000_000;

export function client(n: number, rules: FirewallRule[] = [], opts: { ip6?: boolean } = {}): ClientFirewall {
  return {
    name: `vm${n}`,
    ip: `10.137.${n >> 8}.${n & 255}`,
    ...(opts.ip6 ? { ip6: `fd09:24ef:4179::a89:${n.toString(16)}` } : {}),
    dns: ['10.139.1.1', '10.139.1.2'],
    rules,
  };
}

/** A clock driven by the test: `advance` fires whatever came due, in time order. */
export class FakeClock implements Clock {
  private timers: { at: number; fn: () => void; live: boolean }[] = [];
  constructor(public time = T0) {}
  now(): number {
    return this.time;
  }
  schedule(atMs: number, fn: () => void): () => void {
    const t = { at: atMs, fn, live: true };
    this.timers.push(t);
    return () => {
      t.live = false;
    };
  }
  pending(): number[] {
    return this.timers.filter((t) => t.live).map((t) => t.at);
  }
  advance(ms: number): void {
    this.time += ms;
    for (const t of this.timers.filter((x) => x.live && x.at <= this.time).sort((a, b) => a.at - b.at)) {
      t.live = false;
      t.fn();
    }
  }
}

/** Records each applied batch; `failWhen` makes matching batches throw, as the kernel refusing them. */
export class RecordingNft implements NftExecutor {
  readonly batches: NftCommand[][] = [];
  listing: NftCommand[] = [];
  failWhen: (commands: readonly NftCommand[]) => boolean = () => false;
  async apply(batch: NftBatch): Promise<void> {
    if (batch.commands.length === 0) return;
    if (this.failWhen(batch.commands)) throw new Error('nft: Could not process rule: Invalid argument');
    this.batches.push([...batch.commands]);
    for (const c of batch.commands) this.track(c);
  }

  /** Mirrors the chains (and the forward vmap rule) a batch leaves, so a later `list` sees them as the kernel would. */
  private track(command: NftCommand): void {
    type Chain = { family: string; name: string };
    const add = (command as { add?: { chain?: Chain; rule?: { chain: string; expr: unknown } } }).add;
    const del = (command as { delete?: { chain?: Chain } }).delete;
    const isChain = (item: NftCommand, c: Chain) => {
      const seen = (item as { chain?: Chain }).chain;
      return seen?.family === c.family && seen.name === c.name;
    };
    if (add?.chain && !this.listing.some((x) => isChain(x, add.chain as Chain)))
      this.listing.push({ chain: { ...add.chain } });
    if (add?.rule?.chain === 'forward' && JSON.stringify(add.rule.expr).includes('@clients')) {
      this.listing.push({ rule: { ...add.rule } });
    }
    if (del?.chain) this.listing = this.listing.filter((x) => !isChain(x, del.chain as Chain));
  }

  async list(family?: 'ip' | 'ip6' | 'inet'): Promise<{ nftables: NftCommand[] }> {
    return { nftables: this.listing.filter((c) => JSON.stringify(c).includes(`"family":"${family}"`)) };
  }
}

export class RecordingConntrack implements ConntrackExecutor {
  readonly calls: ConntrackSweep[][] = [];
  async sweep(sweeps: readonly ConntrackSweep[]): Promise<number> {
    this.calls.push([...sweeps]);
    return 0;
  }
}

/** Answers from a table the test edits; counts lookups per name. */
export class TableResolver implements HostResolver {
  readonly answers = new Map<string, HostLookup>();
  readonly lookups: string[] = [];
  async resolve(name: string): Promise<HostLookup> {
    this.lookups.push(name);
    return this.answers.get(name) ?? { ip: { error: 'ENOTFOUND' }, ip6: { error: 'ENOTFOUND' } };
  }
}

export class MemoryStore implements DocumentStore {
  readonly docs = new Map<string, StoredDocument>();
  async load<T>(service: string): Promise<StoredDocument<T> | undefined> {
    return this.docs.get(service) as StoredDocument<T> | undefined;
  }
  async save(service: string, generation: number, document: unknown): Promise<void> {
    this.docs.set(service, { generation, document: JSON.parse(JSON.stringify(document)) as unknown });
  }
  async services(): Promise<string[]> {
    return [...this.docs.keys()];
  }
}

/**
 * Chains a batch rewrites, as `family name`: the forward chain (flushed and
 * refilled) and each client address's dispatch chain, whether it gets a
 * `goto` to a new revision inserted first or is flushed for removal.
 */
export function writtenChains(commands: readonly NftCommand[]): string[] {
  type Chain = { family: string; name: string };
  return commands.flatMap((c) => {
    const flushed = (c as { flush?: { chain?: Chain } }).flush?.chain;
    const inserted = (c as { insert?: { rule?: { family: string; chain: string } } }).insert?.rule;
    if (flushed && !/-r\d+$/.test(flushed.name)) return [`${flushed.family} ${flushed.name}`];
    return inserted ? [`${inserted.family} ${inserted.chain}`] : [];
  });
}

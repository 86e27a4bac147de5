import type { ClientFirewall } from '../services/firewall-sync';
import type { FirewallRule } from '../services/schemas/firewall-rule';
import { silentLogger } from '../shared/logging/logger';
import {
  ChildProcessCommandRunner,
  type CommandResult,
  type CommandRunner,
  type ExecOptions,
} from '../shared/exec/command-runner';
import { NftJsonExecutor, type NftBatch, type NftExecutor } from '../vm-side/executors/nft-executor';
import { SystemClock } from '../vm-side/firewall/clock';
import type { ConntrackExecutor } from '../vm-side/firewall/conntrack-executor';
import { ConntrackToolExecutor } from '../vm-side/firewall/conntrack-tool-executor';
import { FirewallEngine } from '../vm-side/firewall/firewall-engine';
import { FirewallSyncHandler } from '../vm-side/firewall/firewall-sync-handler';
import type { HostResolver } from '../vm-side/firewall/host-resolver';
import { NameCache } from '../vm-side/firewall/name-cache';
import { EMPTY_INSTALLED, type ConntrackSweep } from '../vm-side/firewall/planners/firewall-model';
import { planFirewall } from '../vm-side/firewall/planners/plan-firewall';
import { Netns, rootSkipReason } from '../test/helpers/netns';
import { runnerIn } from '../test/integration/vm-side/firewall/provider-lab';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileDocumentStore } from '../vm-side/state/file-document-store';
import { printTable, summarize, type BenchRow } from './lib/table';

const RULES_PER_CLIENT = 50;
const UPDATES = 30;
const ctx = { service: 'qubes.FirewallSync', argument: '', source: 'dom0' };

/** Fixed answers: the bench measures planning and the kernel, not DNS. */
const resolver: HostResolver = {
  resolve: async (name) => ({
    ip: { addresses: [`192.0.2.${name.length}`], ttl: 3600 },
    ip6: { addresses: [`2001:db8::${name.length}`], ttl: 3600 },
  }),
};

/** A realistic client: DNS and ping first (as Qubes's defaults), then addresses, networks and names with ports. */
function rulesFor(n: number, variant: number): FirewallRule[] {
  return Array.from({ length: RULES_PER_CLIENT }, (_, i): FirewallRule => {
    const port = 1000 + ((i * 37 + variant) % 60000);
    if (i === 0) return { action: 'accept', specialtarget: 'dns' };
    if (i === 1) return { action: 'accept', proto: 'icmp', comment: `ping from client ${n}` };
    switch (i % 4) {
      case 0:
        return { action: 'accept', proto: 'tcp', dst4: `198.51.${i}.0/24`, dstports: { from: port, to: port + 10 } };
      case 1:
        return {
          action: 'drop',
          proto: 'udp',
          dst6: `2001:db8:${i.toString(16)}::/48`,
          dstports: { from: port, to: port },
        };
      case 2:
        return { action: 'accept', proto: 'tcp', dsthost: `host${i % 10}.example`, dstports: { from: 443, to: 443 } };
      default:
        return { action: 'accept', dst4: `203.0.113.${i}/32` };
    }
  });
}

function clientAt(n: number, variant = 0): ClientFirewall {
  const id = n + 2;
  return {
    name: `vm${id}`,
    ip: `10.137.${id >> 8}.${id & 255}`,
    ip6: `fd09:24ef:4179::a89:${id.toString(16)}`,
    dns: ['10.139.1.1', '10.139.1.2'],
    rules: rulesFor(n, variant),
  };
}

/**
 * Enters the namespace with `nsenter --net`: a setns and an exec, like the
 * agent's own exec in a provider qube. `ip netns exec` also unshares the
 * mount namespace and remounts /sys, a cost the agent never pays (see the
 * baseline rows).
 */
class NsenterRunner implements CommandRunner {
  private readonly inner = new ChildProcessCommandRunner();
  constructor(private readonly ns: Netns) {}
  exec(file: string, args: readonly string[], opts?: ExecOptions): Promise<CommandResult> {
    return this.inner.exec('nsenter', [`--net=/run/netns/${this.ns.name}`, file, ...args], opts);
  }
}

/** Measures every nft transaction beside the whole handler call. */
class TimedNft implements NftExecutor {
  readonly applies: { ms: number; commands: number }[] = [];
  constructor(private readonly inner: NftExecutor) {}
  async apply(batch: NftBatch): Promise<void> {
    const t = performance.now();
    await this.inner.apply(batch);
    this.applies.push({ ms: performance.now() - t, commands: batch.commands.length });
  }
  list: NftExecutor['list'] = (family, table) => this.inner.list(family, table);
}

class TimedConntrack implements ConntrackExecutor {
  lastMs = 0;
  constructor(private readonly inner: ConntrackExecutor) {}
  async sweep(sweeps: readonly ConntrackSweep[]): Promise<number> {
    const t = performance.now();
    const n = await this.inner.sweep(sweeps);
    this.lastMs = performance.now() - t;
    return n;
  }
}

/**
 * The real store, timed: its write and fsync run beside the nft transaction.
 * `inMemory` skips the file, to show the firewall path apart from the disk.
 */
class TimedStore extends FileDocumentStore {
  lastMs = 0;
  inMemory = false;
  override async save(service: string, generation: number, document: unknown): Promise<void> {
    const t = performance.now();
    if (this.inMemory) JSON.stringify({ generation, document });
    else await super.save(service, generation, document);
    this.lastMs = performance.now() - t;
  }
}

const p50 = (samples: number[]) => summarize(samples).p50;

async function scenario(ns: Netns, clients: number, stateDir: string): Promise<BenchRow[]> {
  const run = new NsenterRunner(ns);
  const nft = new TimedNft(new NftJsonExecutor(run, 'nft'));
  const conntrack = new TimedConntrack(new ConntrackToolExecutor(run, silentLogger));
  const engine = new FirewallEngine(nft, conntrack, new NameCache(resolver), new SystemClock(), silentLogger);
  // The real store: every answer waits for the document to be written atomically.
  const store = new TimedStore({ stateDir }, silentLogger);
  const handler = new FirewallSyncHandler(engine, store, silentLogger);
  const doc = Array.from({ length: clients }, (_, i) => clientAt(i));
  let generation = 1;
  const t0 = performance.now();
  await handler.handle({ generation: generation++, clients: doc }, ctx);
  const full = performance.now() - t0;
  await engine.settled();
  const rows: BenchRow[] = [
    {
      scenario: `full apply, ${clients} clients x ${RULES_PER_CLIENT} rules`,
      commands: nft.applies[0].commands,
      'nft apply ms': nft.applies[0].ms,
      'handle p50 ms': full,
    },
  ];
  const update = async (u: number, settle: boolean) => {
    const edited = doc.map((c, i) => (i === clients >> 1 ? clientAt(i, u) : c));
    const before = nft.applies.length;
    const t = performance.now();
    await handler.handle({ generation: generation++, clients: edited }, ctx);
    const handleMs = performance.now() - t;
    const answered = nft.applies.length;
    if (settle) await engine.settled();
    return { handleMs, apply: nft.applies[answered - 1], tidy: nft.applies.slice(answered), before };
  };
  const measure = async (label: string, first: number) => {
    const handleMs: number[] = [];
    const nftMs: number[] = [];
    const tidyMs: number[] = [];
    const ctMs: number[] = [];
    const saveMs: number[] = [];
    let commands = 0;
    for (let u = first; u < first + UPDATES; u++) {
      // Settled between updates: each answer is timed from an idle engine, as a push from dom0 finds it.
      const r = await update(u, true);
      handleMs.push(r.handleMs);
      nftMs.push(r.apply.ms);
      commands = r.apply.commands;
      tidyMs.push(...r.tidy.map((x) => x.ms));
      ctMs.push(conntrack.lastMs);
      saveMs.push(store.lastMs);
    }
    const h = summarize(handleMs);
    rows.push({
      scenario: `one client updated, ${clients} present${label}`,
      commands,
      'nft apply ms': p50(nftMs),
      'save ms (beside nft)': p50(saveMs),
      'after answer: conntrack ms': p50(ctMs),
      'after answer: tidy ms': p50(tidyMs),
      'handle p50 ms': h.p50,
      'handle p99 ms': h.p99,
    });
  };
  await measure('', 1);
  store.inMemory = true;
  await measure(', state file not written', UPDATES + 1);
  store.inMemory = false;
  // Back to back: each answer also waits for the previous update's sweep and tidy.
  const burst: number[] = [];
  for (let u = 2 * UPDATES + 1; u <= 2 * UPDATES + 10; u++) burst.push((await update(u, false)).handleMs);
  await engine.settled();
  const b = summarize(burst);
  rows.push({
    scenario: `  same, 10 back to back (no pause)`,
    'handle p50 ms': b.p50,
    'handle p99 ms': b.p99,
  });
  return rows;
}

/** What one process start inside the namespace costs here: the floor under every nft and conntrack call. */
async function spawnBaseline(ns: Netns): Promise<BenchRow[]> {
  const runners: [string, CommandRunner][] = [
    ['nsenter --net', new NsenterRunner(ns)],
    ['ip netns exec', runnerIn(ns)],
  ];
  const rows: BenchRow[] = [];
  for (const [label, run] of runners) {
    const samples: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      await run.exec('nft', ['--version']);
      samples.push(performance.now() - t);
    }
    rows.push({ scenario: `baseline: ${label} nft --version`, 'nft apply ms': p50(samples) });
  }
  return rows;
}

function plannerOnly(clients: number): BenchRow {
  const doc = Array.from({ length: clients }, (_, i) => clientAt(i));
  const names = new Map(
    Array.from({ length: 10 }, (_, i) => [
      `host${i}.example`,
      { ip: { addresses: ['192.0.2.1'] }, ip6: { addresses: ['2001:db8::1'] } },
    ]),
  );
  const first = planFirewall({ clients: doc, names, nowMs: Date.now(), installed: EMPTY_INSTALLED });
  const samples: number[] = [];
  for (let u = 1; u <= UPDATES; u++) {
    const edited = doc.map((c, i) => (i === 0 ? clientAt(i, u) : c));
    const t = performance.now();
    planFirewall({ clients: edited, names, nowMs: Date.now(), installed: first.installed });
    samples.push(performance.now() - t);
  }
  const s = summarize(samples);
  return { scenario: `planner only, one of ${clients} changed`, 'handle p50 ms': s.p50, 'handle p99 ms': s.p99 };
}

export async function run(): Promise<void> {
  const rows: BenchRow[] = [];
  const skip = rootSkipReason(['ip', 'nft', 'conntrack', 'nsenter']);
  if (skip) {
    process.stdout.write(`firewall-sync: kernel scenarios skipped (${skip})\n`);
  } else {
    for (const clients of [50, 200, 1000]) {
      const ns = new Netns('fwbench');
      const stateDir = mkdtempSync(join(tmpdir(), 'qnet-fwbench-'));
      try {
        if (clients === 50) rows.push(...(await spawnBaseline(ns)));
        rows.push(...(await scenario(ns, clients, stateDir)));
      } finally {
        ns.dispose();
        rmSync(stateDir, { recursive: true, force: true });
      }
    }
  }
  for (const clients of [50, 200, 1000]) rows.push(plannerOnly(clients));
  printTable(
    'qubes.FirewallSync (real nft in a throw-away netns; handle = resolve + plan + one nft transaction; ' +
      'the conntrack sweep and the tidy of superseded chains run after the answer)',
    rows,
  );
}

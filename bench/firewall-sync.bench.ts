import type { ClientFirewall } from '../services/firewall-sync';
import type { FirewallRule } from '../services/schemas/firewall-rule';
import { silentLogger } from '../shared/logging/logger';
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
import { NetnsCommandRunner } from '../test/integration/vm-side/firewall/provider-lab';
import { MemoryStore } from '../test/unit/vm-side/firewall/fixtures';
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

/** Measures the nft transactions themselves beside the whole handler call. */
class TimedNft implements NftExecutor {
  lastMs = 0;
  lastCommands = 0;
  constructor(private readonly inner: NftExecutor) {}
  async apply(batch: NftBatch): Promise<void> {
    const t = performance.now();
    await this.inner.apply(batch);
    this.lastMs = performance.now() - t;
    this.lastCommands = batch.commands.length;
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

async function scenario(ns: Netns, clients: number): Promise<BenchRow[]> {
  const run = new NetnsCommandRunner(ns);
  const nft = new TimedNft(new NftJsonExecutor(run, 'nft'));
  const conntrack = new TimedConntrack(new ConntrackToolExecutor(run, silentLogger));
  const engine = new FirewallEngine(nft, conntrack, new NameCache(resolver), new SystemClock(), silentLogger);
  const handler = new FirewallSyncHandler(engine, new MemoryStore(), silentLogger);
  const doc = Array.from({ length: clients }, (_, i) => clientAt(i));
  let generation = 1;
  const t0 = performance.now();
  await handler.handle({ generation: generation++, clients: doc }, ctx);
  const rows: BenchRow[] = [
    {
      scenario: `full apply, ${clients} clients x ${RULES_PER_CLIENT} rules`,
      commands: nft.lastCommands,
      'nft ms': nft.lastMs,
      'conntrack ms': conntrack.lastMs,
      'handle p50 ms': performance.now() - t0,
      'handle p99 ms': '',
    },
  ];
  const handleMs: number[] = [];
  const nftMs: number[] = [];
  const ctMs: number[] = [];
  for (let u = 1; u <= UPDATES; u++) {
    const edited = doc.map((c, i) => (i === clients >> 1 ? clientAt(i, u) : c));
    const t = performance.now();
    await handler.handle({ generation: generation++, clients: edited }, ctx);
    handleMs.push(performance.now() - t);
    nftMs.push(nft.lastMs);
    ctMs.push(conntrack.lastMs);
  }
  const h = summarize(handleMs);
  rows.push({
    scenario: `one client updated, ${clients} present`,
    commands: nft.lastCommands,
    'nft ms': summarize(nftMs).p50,
    'conntrack ms': summarize(ctMs).p50,
    'handle p50 ms': h.p50,
    'handle p99 ms': h.p99,
  });
  return rows;
}

/** What one process start inside the namespace costs here: the floor under every nft and conntrack call. */
async function spawnBaseline(ns: Netns): Promise<BenchRow> {
  const run = new NetnsCommandRunner(ns);
  const samples: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    await run.exec('nft', ['--version']);
    samples.push(performance.now() - t);
  }
  return { scenario: 'baseline: ip netns exec nft --version', 'nft ms': summarize(samples).p50 };
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
  const skip = rootSkipReason(['ip', 'nft', 'conntrack']);
  if (skip) {
    process.stdout.write(`firewall-sync: kernel scenarios skipped (${skip})\n`);
  } else {
    for (const clients of [50, 100, 200]) {
      const ns = new Netns('fwbench');
      try {
        rows.push(await spawnBaseline(ns));
        rows.push(...(await scenario(ns, clients)));
      } finally {
        ns.dispose();
      }
    }
  }
  for (const clients of [50, 200, 1000]) rows.push(plannerOnly(clients));
  printTable('qubes.FirewallSync (real nft in a throw-away netns; handle = resolve + plan + nft + conntrack)', rows);
}

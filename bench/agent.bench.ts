import { performance } from 'node:perf_hooks';
import type { NetConfigDocument, ProviderConfig } from '../services/net-config';
import { numberToIpv4 } from '../shared/net/ipv4';
import { planNetConfig } from '../vm-side/planners/plan-net-config';
import { Netns, rootSkipReason, vethPair } from '../test/helpers/netns';
import { agentKit } from '../test/integration/vm-side/agent-kit';
import { printTable, summarize, type BenchRow } from './lib/table';

const MAC = '00:16:3e:5e:6c:42';
const guestDoc: NetConfigDocument = {
  generation: 1,
  qube: 'bench',
  uplink: {
    mac: MAC,
    ip: '10.137.0.42',
    netmask: '255.255.255.255',
    gateway: '10.137.0.1',
    dns: ['10.139.1.1', '10.139.1.2'],
    ip6: 'fd09:24ef:4179::a89:2a',
    gateway6: 'fd09:24ef:4179::a89:1',
  },
};

function provider(clients: number): ProviderConfig {
  return {
    ip: '10.137.0.6',
    ipv6: false,
    clients: Array.from({ length: clients }, (_, i) => ({
      name: `client${i}`,
      ip: numberToIpv4(0x0a890000 + 10 + i),
      vif: `vif${i + 10}.0`,
    })),
  };
}

async function time(samples: number, setup: () => void, task: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    setup();
    const t0 = performance.now();
    await task();
    out.push(performance.now() - t0);
  }
  return out;
}

const row = (what: string, samples: number[], target: string): BenchRow => {
  const s = summarize(samples);
  return { what, n: samples.length, p50_ms: s.p50, p99_ms: s.p99, mean_ms: s.mean, target };
};

/**
 * Agent apply paths against the real kernel, in throw-away namespaces. The
 * commands run through `ip netns exec`, which adds one namespace switch per
 * process start that an agent living inside its namespace does not pay.
 */
export async function run(): Promise<void> {
  const rows: BenchRow[] = [];
  const emptyObserved = {
    net: { links: [], routes: [], neighbours: [] },
    nft: {},
    sysctl: new Map<string, string | undefined>(),
    resolvConf: { content: undefined, protected: false },
  };
  for (const n of [10, 200, 2000]) {
    const samples = await time(
      50,
      () => {},
      async () => planNetConfig({ generation: 1, qube: 'p', provider: provider(n) }, emptyObserved),
    );
    rows.push(row(`plan provider, ${n} clients (pure)`, samples, '-'));
  }

  const skip = rootSkipReason(['ip', 'nft', 'sysctl']);
  if (skip) {
    printTable(`qnet-agent (kernel rows skipped: ${skip})`, rows);
    return;
  }
  const guest = new Netns('bguest');
  const peer = new Netns('bpeer');
  const kit = agentKit(guest);
  try {
    vethPair(guest, 'eth0', peer, 'vif42.0', { aMac: MAC, bMac: 'fe:ff:ff:ff:ff:ff' });
    const reset = () => {
      guest.exec('ip', ['addr', 'flush', 'dev', 'eth0']);
      guest.exec('ip', ['neigh', 'flush', 'dev', 'eth0', 'nud', 'permanent']);
      guest.exec('ip', ['link', 'set', 'eth0', 'down']);
    };
    rows.push(
      row(
        'guest init apply (observe+plan+apply)',
        await time(20, reset, () => kit.netConfig.apply(guestDoc)),
        '< 100 ms',
      ),
    );
    rows.push(
      row(
        'guest re-apply, converged (empty plan)',
        await time(
          20,
          () => {},
          () => kit.netConfig.apply(guestDoc),
        ),
        '-',
      ),
    );

    const p = provider(200);
    const resetNft = () => guest.exec('nft', ['flush', 'ruleset']);
    const pushDoc: NetConfigDocument = { generation: 1, qube: 'p', provider: p };
    rows.push(
      row(
        'provider apply, 200 clients, fresh ruleset',
        await time(10, resetNft, () => kit.netConfig.apply(pushDoc)),
        '-',
      ),
    );
    const plus1 = { ...pushDoc, provider: provider(201) };
    rows.push(
      row(
        'provider apply, 1 client joins 200',
        await time(
          10,
          () => {},
          async () => {
            await kit.netConfig.apply(plus1);
            await kit.netConfig.apply(pushDoc);
          },
        ).then((s) => s.map((ms) => ms / 2)),
        '-',
      ),
    );
    rows.push(
      row(
        'DnsUpdate apply (chain replaced)',
        await time(
          10,
          () => {},
          async () => {
            await kit.dns.apply({ generation: 1, upstream: ['192.0.2.53'] });
            await kit.dns.apply({ generation: 1, upstream: ['198.51.100.53'] });
          },
        ).then((s) => s.map((ms) => ms / 2)),
        '-',
      ),
    );
  } finally {
    guest.dispose();
    peer.dispose();
    kit.dispose();
  }
  printTable('qnet-agent apply paths', rows);
}

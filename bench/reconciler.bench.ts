import { qube } from '../test/unit/dom0-side/qube-fixture';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { encode, unpackStrict } from '../shared/codec/strict-unpackr';
import { silentLogger } from '../shared/logging/logger';
import type { Transport } from '../shared/transport/transport';
import { buildQnetdContainer } from '../dom0-side/daemon/main';
import { Qnetd } from '../dom0-side/daemon/qnetd';
import { Inventory } from '../dom0-side/inventory/inventory';
import { FileInventoryStore } from '../dom0-side/inventory/file-inventory-store';
import { DEFAULT_STATE_MAX_BYTES } from '../dom0-side/inventory/inventory-store';
import { Qubes } from '../dom0-side/sdk/index';
import { printTable, summarize, type BenchRow } from './lib/table';

const QUBES = 200;
const RUNS = 30;

const q = qube;

/** sys-net → sys-firewall → 4 VPN qubes, and the rest of the 200 spread over them; all running. */
function tree(): Inventory {
  const qubes = [
    q('sys-net', 1, { providesNetwork: true }),
    q('sys-firewall', 2, { providesNetwork: true, netvm: 'sys-net' }),
  ];
  for (let v = 0; v < 4; v++) qubes.push(q(`vpn${v}`, 3 + v, { providesNetwork: true, netvm: 'sys-firewall' }));
  for (let i = qubes.length; i < QUBES; i++) {
    qubes.push(q(`app${i}`, i + 1, { netvm: i % 3 === 0 ? `vpn${i % 4}` : 'sys-firewall' }));
  }
  return Inventory.of(qubes);
}

/** Answers every push at once and notes when each was issued. */
function instantAgents() {
  const issued: number[] = [];
  const transport: Transport = {
    async invoke(_target, service, payload) {
      issued.push(performance.now());
      const { generation } = unpackStrict(payload) as { generation: number };
      return encode({
        ok: true,
        result:
          service === 'qubes.FirewallSync'
            ? { appliedGeneration: generation, failures: [] }
            : { appliedGeneration: generation },
      });
    },
  };
  return { transport, issued };
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'qnet-bench-reconciler-'));
  const config = {
    stateDir: join(dir, 'state'),
    runDir: join(dir, 'run'),
    qubesd: false,
    qubesdSocket: '',
    logJson: false,
    qrexecClient: 'qrexec-client',
  };
  const agents = instantAgents();
  const c = buildQnetdContainer(config, {}, { transport: agents.transport, logger: silentLogger });
  const qnetd = c.resolve(Qnetd);
  try {
    mkdirSync(config.stateDir, { recursive: true });
    await new FileInventoryStore({
      path: join(config.stateDir, 'inventory.json'),
      maxBytes: DEFAULT_STATE_MAX_BYTES,
    }).save(tree());
    await qnetd.start();
    const app = await Qubes.connect({ runDir: config.runDir });
    const sysNet = await app.domains.get('sys-net');
    const toIssued: number[] = [];
    const toAcked: number[] = [];
    let pushes = 0;
    for (let i = 0; i < RUNS + 3; i++) {
      agents.issued.length = 0;
      const t0 = performance.now();
      const batch = await sysNet.features.set('ipv6', i % 2 === 0 ? '1' : '');
      pushes = batch.pushes.length;
      while (agents.issued.length < pushes) await new Promise((r) => setImmediate(r));
      const issuedAt = agents.issued[pushes - 1];
      await batch.wait();
      const ackedAt = performance.now();
      if (i < 3) continue; // warm-up
      toIssued.push(issuedAt - t0);
      toAcked.push(ackedAt - t0);
    }
    app.close();
    const row = (name: string, samples: number[]): BenchRow => {
      const s = summarize(samples);
      return {
        case: name,
        qubes: QUBES,
        pushes,
        runs: samples.length,
        'p50 ms': s.p50,
        'p99 ms': s.p99,
        'mean ms': s.mean,
      };
    };
    printTable(
      'reconciler: ipv6 toggled on the root provider, through the SDK and qnetd (target: < 100 ms to all issued)',
      [row('features.set -> all pushes issued', toIssued), row('features.set -> batch.wait() done', toAcked)],
    );
  } finally {
    await qnetd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

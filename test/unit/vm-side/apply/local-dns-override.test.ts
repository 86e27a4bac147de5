import assert from 'node:assert/strict';
import sinon from 'sinon';
import { UsageError, type CliIo } from '../../../../shared/cli/cli';
import type { CallContext } from '../../../../shared/contract/call-context';
import { silentLogger } from '../../../../shared/logging/logger';
import { SerialQueue } from '../../../../shared/runtime/serial-queue';
import { DnsUpdateApplier } from '../../../../vm-side/apply/dns-update-applier';
import { GenerationGate } from '../../../../vm-side/apply/generation-gate';
import { LocalDnsOverride } from '../../../../vm-side/apply/local-dns-override';
import { Converger } from '../../../../vm-side/boot/converge';
import type { AgentRoot } from '../../../../vm-side/commands/agent-root';
import { runDnsUpdateCommand } from '../../../../vm-side/commands/dns-update-command';
import type { NftExecutor } from '../../../../vm-side/executors/nft-executor';
import { DnsUpdateHandler } from '../../../../vm-side/handlers/dns-update-handler';
import type { NftTableObserver } from '../../../../vm-side/observers/nft-table-observer';
import type { DnsOverride, DnsOverrideStore } from '../../../../vm-side/state/dns-override-store';
import { memoryStore } from '../helpers/memory-store';

const VPN_DNS = '198.51.100.153';
const dom0 = { source: 'dom0', service: 'qubes.DnsUpdate' } as unknown as CallContext;

function memoryOverrides(
  initial?: DnsOverride | 'unreadable',
): DnsOverrideStore & { value?: DnsOverride | 'unreadable' } {
  const s: DnsOverrideStore & { value?: DnsOverride | 'unreadable' } = {
    value: initial,
    load: async () => s.value,
    save: async (o) => void (s.value = o),
    clear: async () => void (s.value = undefined),
  };
  return s;
}

/** One agent's DNS path with the kernel faked at the nft seam; `dnat()` is the servers the last batch named. */
function agent(overrides = memoryOverrides(), system = { read: async (): Promise<string[]> => [] }) {
  const documents = memoryStore();
  const nft = { apply: sinon.fake.resolves(undefined) } as unknown as NftExecutor & { apply: sinon.SinonSpy };
  const tables = { observe: async () => undefined } as unknown as NftTableObserver;
  const applier = new DnsUpdateApplier(tables, nft, overrides, system);
  const lock = new SerialQueue();
  const gate = new GenerationGate(documents, lock, silentLogger);
  const handler = new DnsUpdateHandler(gate, applier, 8000, silentLogger);
  const local = new LocalDnsOverride(overrides, documents, applier, lock);
  const dnat = () => {
    const text = JSON.stringify(nft.apply.lastCall.args[0]);
    return [...text.matchAll(/"dnat":\{"addr":"([^"]+)"/g)].map((m) => m[1]);
  };
  return { documents, nft, applier, gate, handler, local, overrides, dnat, lock };
}

describe('local DNS override (a VPN qube keeps its own DNS)', () => {
  it('an override set --from-system follows the qube resolv.conf as it is at each apply, not as it was', async () => {
    let resolvConf = ['192.0.2.53'];
    const a = agent(memoryOverrides(), { read: async () => resolvConf });
    await a.local.set(resolvConf, 'from-system');
    assert.deepEqual(new Set(a.dnat()), new Set(['192.0.2.53']));
    // Rebooted onto another network: the servers saved with the override are stale.
    resolvConf = ['198.51.100.53'];
    const reply = await a.handler.handle({ generation: 2, upstream: ['10.139.1.1', '10.139.1.2'] }, dom0);
    assert.deepEqual(new Set(a.dnat()), new Set(['198.51.100.53']));
    assert.deepEqual(reply, { appliedGeneration: 2, localOverride: ['198.51.100.53'] });
  });

  it('an override --from-system whose resolv.conf cannot be read drops DNS, never falls back to dom0', async () => {
    const a = agent(memoryOverrides(), { read: async () => Promise.reject(new Error('EIO')) });
    await a.local.set(['192.0.2.53'], 'from-system');
    await a.handler.handle({ generation: 2, upstream: ['10.139.1.1', '10.139.1.2'] }, dom0);
    assert.deepEqual(a.dnat(), []);
  });

  it('a push from dom0 after the override keeps the override in the chain, holds the document and says so', async () => {
    const a = agent();
    await a.handler.handle({ generation: 3, upstream: ['10.139.1.1', '10.139.1.2'] }, dom0);
    assert.deepEqual(new Set(a.dnat()), new Set(['10.139.1.1', '10.139.1.2']));
    await a.local.set([VPN_DNS], 'upstream');
    assert.deepEqual(new Set(a.dnat()), new Set([VPN_DNS]));
    const reply = await a.handler.handle({ generation: 4, upstream: ['10.139.1.1', '10.139.1.2'] }, dom0);
    assert.deepEqual(reply, { appliedGeneration: 4, localOverride: [VPN_DNS] });
    assert.deepEqual(new Set(a.dnat()), new Set([VPN_DNS]), 'the push did not bring 10.139.1.x back');
    assert.equal(a.documents.saved.get('qubes.DnsUpdate')?.generation, 4, "dom0's document is held");
  });

  it('clear puts the last pushed servers back at once, and answers without localOverride again', async () => {
    const a = agent();
    await a.local.set([VPN_DNS], 'from-system');
    await a.handler.handle({ generation: 5, upstream: ['10.139.1.1', '10.139.1.2'] }, dom0);
    assert.deepEqual(await a.local.clear(), ['10.139.1.1', '10.139.1.2']);
    assert.deepEqual(new Set(a.dnat()), new Set(['10.139.1.1', '10.139.1.2']));
    assert.deepEqual(await a.handler.handle({ generation: 6, upstream: ['10.139.1.1'] }, dom0), {
      appliedGeneration: 6,
    });
  });

  it('a restart (convergence of the saved document) re-applies the override, not the saved document', async () => {
    const a = agent();
    await a.handler.handle({ generation: 7, upstream: ['10.139.1.1', '10.139.1.2'] }, dom0);
    await a.local.set([VPN_DNS], 'upstream');
    a.nft.apply.resetHistory();
    const result = await new Converger([a.applier], a.documents, a.lock, silentLogger).converge();
    assert.deepEqual(result.applied, ['qubes.DnsUpdate']);
    assert.deepEqual(new Set(a.dnat()), new Set([VPN_DNS]));
  });

  it('an unreadable override fails closed: no server in the chain, reported as an override with none', async () => {
    const a = agent(memoryOverrides('unreadable'));
    const reply = await a.handler.handle({ generation: 1, upstream: ['10.139.1.1', '10.139.1.2'] }, dom0);
    assert.deepEqual(reply, { appliedGeneration: 1, localOverride: [] });
    assert.deepEqual(a.dnat(), []);
  });

  it('clear without any pushed document leaves DNS1/DNS2 dropped', async () => {
    const a = agent(memoryOverrides({ upstream: [VPN_DNS], source: 'upstream', setAt: '2026-01-01T00:00:00Z' }));
    assert.deepEqual(await a.local.clear(), []);
    assert.deepEqual(a.dnat(), []);
    assert.equal(a.overrides.value, undefined);
  });

  it('the dry run describes the servers asked for, whatever is in force', async () => {
    const a = agent(memoryOverrides({ upstream: [VPN_DNS], source: 'upstream', setAt: '2026-01-01T00:00:00Z' }));
    const lines = await a.local.describeSet(['203.0.113.53']);
    assert.match(lines.join('\n'), /203\.0\.113\.53/);
    assert.doesNotMatch(lines.join('\n'), /198\.51\.100\.153/);
    sinon.assert.notCalled(a.nft.apply);
  });
});

describe('qnet-agent dns-update flags', () => {
  const io = { stdout: { write: () => true }, stderr: { write: () => true }, env: {} } as unknown as CliIo;
  const neverBuilt = {
    config: () => {
      throw new Error('must not get this far');
    },
  } as unknown as AgentRoot;
  for (const argv of [
    [],
    ['--clear', '--upstream', VPN_DNS],
    ['--clear', '--from-system'],
    ['--upstream', VPN_DNS, '--from-system'],
  ]) {
    it(`refuses ${JSON.stringify(argv)} before touching anything: exactly one of set, read or clear`, async () => {
      await assert.rejects(runDnsUpdateCommand(argv, io, neverBuilt), (err: Error) => {
        assert.ok(err instanceof UsageError);
        assert.match(err.message, /exactly one of --from-system, --upstream and --clear/);
        return true;
      });
    });
  }
});

import assert from 'node:assert/strict';
import type { FirewallSyncDocument } from '../../../../services/firewall-sync';
import { unpackStrict } from '../../../../shared/codec/strict-unpackr';
import { firewallDoc, ProviderAgent, useProviderLab } from './provider-agent';
import { INTERNET } from './provider-lab';

const withDeparted = (doc: FirewallSyncDocument): FirewallSyncDocument => ({
  ...doc,
  clients: [...doc.clients, { name: 'gone', ip: '10.137.0.9', dns: [], rules: [{ action: 'accept' }] }],
});

/**
 * Issue 11 point 2: `qnet-agent service qubes.FirewallSync` (the fallback
 * qrexec runs when the agent socket is down) is a new process each time; what
 * it answers must be what the kernel enforces afterwards.
 */
describe('FirewallSync through the executable form, one process per call (root, real packets)', function () {
  this.timeout(60_000);
  const env = useProviderLab('fw-exec', [80, 443], ['ip', 'nft', 'conntrack']);
  let agent: ProviderAgent;
  beforeEach(() => {
    agent = new ProviderAgent(env.lab, env.dir);
  });

  const push = async (doc: FirewallSyncDocument) => {
    const res = await agent.service('qubes.FirewallSync', doc);
    assert.equal(res.status, 0, res.stderr);
    return unpackStrict(res.stdout) as { ok: boolean; result: { appliedGeneration: number; failures: unknown[] } };
  };
  const chains = () =>
    env.lab.provider
      .json<{ nftables: { chain?: { name: string } }[] }>('nft', ['-j', 'list', 'table', 'ip', 'qubes-firewall'])
      .nftables.flatMap((x) => (x.chain ? [x.chain.name] : []));

  it('generation N+1 from a second process is in force, and a departed client has no chain left', async () => {
    assert.deepEqual((await push(withDeparted(firewallDoc(1, 80)))).result, { appliedGeneration: 1, failures: [] });
    assert.equal(env.lab.probe(INTERNET, 80), 'open');
    assert.notEqual(env.lab.probe(INTERNET, 443, 500), 'open');
    assert.ok(chains().includes('qbs-10-137-0-9'));

    assert.deepEqual((await push(firewallDoc(2, 443))).result, { appliedGeneration: 2, failures: [] });
    assert.equal(env.lab.probe(INTERNET, 443), 'open');
    assert.notEqual(env.lab.probe(INTERNET, 80, 500), 'open', 'generation 1 still in force');
    assert.deepEqual(
      chains().filter((c) => c.startsWith('qbs-10-137-0-9')),
      [],
      'the departed client still has chains',
    );
  });

  it('a replayed generation in a new process answers only what the kernel then holds', async () => {
    await push(firewallDoc(5, 80));
    // Whatever happened to the kernel since (a reboot), the saved generation 5 is what the answer names.
    env.lab.provider.exec('nft', ['flush', 'ruleset']);
    assert.deepEqual((await push(firewallDoc(4, 443))).result, { appliedGeneration: 5, failures: [] });
    assert.equal(env.lab.probe(INTERNET, 80), 'open');
    assert.notEqual(env.lab.probe(INTERNET, 443, 500), 'open');
  });
});

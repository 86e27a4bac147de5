import assert from 'node:assert/strict';
import type { FirewallSyncDocument } from '../../../../services/firewall-sync';
import { unpackStrict } from '../../../../shared/codec/strict-unpackr';
import { rootSkipReason } from '../../../helpers/netns';
import { tempDir } from '../../../helpers/processes';
import { firewallDoc, ProviderAgent } from './provider-agent';
import { INTERNET, ProviderLab } from './provider-lab';

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
  let lab: ProviderLab | undefined;
  let dir: ReturnType<typeof tempDir> | undefined;
  let agent: ProviderAgent;

  before(function () {
    if (rootSkipReason(['ip', 'nft', 'conntrack'])) this.skip();
  });
  beforeEach(async () => {
    lab = new ProviderLab();
    dir = tempDir('fw-exec');
    agent = new ProviderAgent(lab, dir.path);
    await lab.listen([80, 443]);
  });
  afterEach(() => {
    lab?.dispose();
    dir?.dispose();
  });

  const push = async (doc: FirewallSyncDocument) => {
    const res = await agent.service('qubes.FirewallSync', doc);
    assert.equal(res.status, 0, res.stderr);
    return unpackStrict(res.stdout) as { ok: boolean; result: { appliedGeneration: number; failures: unknown[] } };
  };
  const chains = () =>
    lab!.provider
      .json<{ nftables: { chain?: { name: string } }[] }>('nft', ['-j', 'list', 'table', 'ip', 'qubes-firewall'])
      .nftables.flatMap((x) => (x.chain ? [x.chain.name] : []));

  it('generation N+1 from a second process is in force, and a departed client has no chain left', async () => {
    assert.deepEqual((await push(withDeparted(firewallDoc(1, 80)))).result, { appliedGeneration: 1, failures: [] });
    assert.equal(lab!.probe(INTERNET, 80), 'open');
    assert.notEqual(lab!.probe(INTERNET, 443, 500), 'open');
    assert.ok(chains().includes('qbs-10-137-0-9'));

    assert.deepEqual((await push(firewallDoc(2, 443))).result, { appliedGeneration: 2, failures: [] });
    assert.equal(lab!.probe(INTERNET, 443), 'open');
    assert.notEqual(lab!.probe(INTERNET, 80, 500), 'open', 'generation 1 still in force');
    assert.deepEqual(
      chains().filter((c) => c.startsWith('qbs-10-137-0-9')),
      [],
      'the departed client still has chains',
    );
  });

  it('a replayed generation in a new process answers only what the kernel then holds', async () => {
    await push(firewallDoc(5, 80));
    // Whatever happened to the kernel since (a reboot), the saved generation 5 is what the answer names.
    lab!.provider.exec('nft', ['flush', 'ruleset']);
    assert.deepEqual((await push(firewallDoc(4, 443))).result, { appliedGeneration: 5, failures: [] });
    assert.equal(lab!.probe(INTERNET, 80), 'open');
    assert.notEqual(lab!.probe(INTERNET, 443, 500), 'open');
  });
});

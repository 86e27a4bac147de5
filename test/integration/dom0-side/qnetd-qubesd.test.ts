import assert from 'node:assert/strict';
import { join } from 'node:path';
import { silentLogger } from '../../../shared/logging/logger';
import { parseDaemonConfig, type DaemonConfig } from '../../../dom0-side/daemon/daemon-config';
import { buildQnetdContainer } from '../../../dom0-side/daemon/main';
import { Qnetd } from '../../../dom0-side/daemon/qnetd';
import { Qubes } from '../../../dom0-side/sdk/index';
import { FakeQubesd } from '../../fixtures/fake-qubesd';
import { tempDir, waitFor } from '../../helpers/processes';
import { fakeAgents, sent } from '../../unit/dom0-side/reconciler/fake-agents';

describe('dom0-side qnetd --qubesd (in process, against the fake qubesd)', function () {
  let dir: ReturnType<typeof tempDir>;
  let fake: FakeQubesd;
  let qnetd: Qnetd;
  let app: Qubes;
  let agents: ReturnType<typeof fakeAgents>;

  beforeEach(async () => {
    dir = tempDir('qnetd-qubesd');
    fake = new FakeQubesd();
    await fake.start(join(dir.path, 'qubesd.sock'));
    fake.addDomain({ name: 'sys-net', qid: 2, netvm: null, providesNetwork: true, state: 'Running' }, false);
    fake.addDomain({ name: 'sys-firewall', qid: 3, netvm: 'sys-net', providesNetwork: true, state: 'Running' }, false);
    fake.addDomain({ name: 'work', qid: 10, state: 'Running' }, false);
    fake.addDomain({ name: 'personal', qid: 11 }, false);
    const config = parseDaemonConfig(
      [
        '--qubesd',
        '--qubesd-socket',
        join(dir.path, 'qubesd.sock'),
        '--state-dir',
        join(dir.path, 'state'),
        '--run-dir',
        join(dir.path, 'run'),
      ],
      {},
    ) as DaemonConfig;
    agents = fakeAgents();
    qnetd = buildQnetdContainer(config, {}, { transport: agents.transport, logger: silentLogger }).resolve(Qnetd);
    await qnetd.start();
    app = await Qubes.connect({ runDir: config.runDir });
  });
  afterEach(async () => {
    app.close();
    await qnetd.stop();
    await fake.stop();
    dir.dispose();
  });

  it('converges the running qubes qubesd lists, then follows a domain-start event', async () => {
    await waitFor(() => agents.pushes.length >= 6, 5000, 'initial pushes');
    assert.deepEqual(sent(agents.pushes.splice(0)), [
      'sys-net qubes.NetConfig',
      'sys-net qubes.FirewallSync',
      'sys-firewall qubes.NetConfig',
      'sys-firewall qubes.FirewallSync',
      'sys-firewall qubes.DnsUpdate',
      'work qubes.NetConfig',
    ]);
    fake.setState('personal', 'Running');
    await waitFor(() => agents.pushes.length >= 3, 5000, 'pushes after domain-start');
    assert.deepEqual(sent(agents.pushes), [
      'sys-firewall qubes.NetConfig',
      'sys-firewall qubes.FirewallSync',
      'personal qubes.NetConfig',
    ]);
  });

  it('writes an SDK change through the Admin API and pushes the result live', async () => {
    await waitFor(() => agents.pushes.length >= 6, 5000, 'initial pushes');
    agents.pushes.splice(0);
    const batch = await (await app.domains.get('sys-net')).features.set('ipv6', '1');
    assert.equal(fake.domains.get('sys-net')!.features.get('ipv6'), '1');
    const report = await batch.wait({ timeoutMs: 10_000 });
    assert.equal(report.complete, true);
    assert.ok(report.results.every((r) => r.outcome === 'done'));
    const work = agents.pushes.find((p) => p.target === 'work')!;
    assert.equal((work.request.uplink as { ip6: string }).ip6, 'fd09:24ef:4179::a89:a');
  });
});

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { silentLogger } from '../../../shared/logging/logger';
import { parseDaemonConfig, type DaemonConfig } from '../../../dom0-side/daemon/daemon-config';
import { buildQnetdContainer } from '../../../dom0-side/daemon/main';
import { Qnetd } from '../../../dom0-side/daemon/qnetd';
import { Qubes, type QnetdEvent, type QubeEvent } from '../../../dom0-side/sdk/index';
import { FakeQubesd } from '../../fixtures/fake-qubesd';
import { tempDir, waitFor } from '../../helpers/processes';
import { fakeAgents, sent } from '../../unit/dom0-side/reconciler/fake-agents';

/** Polls an async condition (qnetd follows qubesd's events asynchronously). */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

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

  it('reports a qubesd event as its qube event, once, and its pushes with that cause', async () => {
    await waitFor(() => agents.pushes.length >= 6, 5000, 'initial pushes');
    const qube: QubeEvent[] = [];
    const pushes: QnetdEvent[] = [];
    app.events.on('qube:*', (e) => qube.push(e));
    app.events.on('*', (e) => pushes.push(e));
    await app.events.ready();
    fake.setState('personal', 'Running');
    await waitFor(() => qube.length >= 1 && pushes.length >= 3, 10_000, 'events after domain-start');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(
      qube.map((e) => `${e.event} ${e.qube}`),
      ['domain-start personal'],
    );
    assert.deepEqual(
      pushes.map((p) => p.cause),
      Array(pushes.length).fill(qube[0].cause),
    );
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

  it('qnet prefs -D netvm sends admin.vm.property.Reset: back to default_netvm, shown with D, as qvm-prefs', async () => {
    const cli = join(__dirname, '..', '..', '..', 'dom0-side', 'cli', 'main.js');
    const qnet = (...args: string[]) =>
      promisify(execFile)(process.execPath, [cli, ...args, '--run-dir', join(dir.path, 'run')]);
    const work = await app.domains.get('work');
    assert.equal(await work.propertyIsDefault('netvm'), true);
    await work.setNetvm('sys-net');
    await until(async () => !(await work.propertyIsDefault('netvm')), 'netvm set on work');
    await qnet('prefs', 'work', '-D', 'netvm', '--no-wait');
    assert.deepEqual(
      fake.callsOf('admin.vm.property.Reset').map((c) => [c.dest, c.arg]),
      [['work', 'netvm']],
    );
    assert.deepEqual(
      fake.callsOf('admin.vm.property.Set').map((c) => [c.dest, c.arg, c.payload.toString()]),
      [['work', 'netvm', 'sys-net']],
    );
    assert.deepEqual(fake.getProperty('work', 'netvm'), { value: 'sys-firewall', type: 'vm', isDefault: true });
    await until(() => work.propertyIsDefault('netvm'), 'qnetd follows the reset');
    assert.equal((await work.getNetvm())!.name, 'sys-firewall');
    const table = (await qnet('prefs', 'work')).stdout;
    assert.match(table, /^netvm +D +sys-firewall$/m);
    assert.match(table, /^provides_network +D +False$/m);
    assert.match(table, /^visible_gateway +D +10\.137\.0\.3$/m);
    assert.match(table, /^qid +- +10$/m);
    // Any property resets through the SDK; one qubesd does not know is its error, not a silent no-op.
    await work.resetProperty('mac');
    assert.deepEqual(fake.callsOf('admin.vm.property.Reset').at(-1)?.arg, 'mac');
    await assert.rejects(work.resetProperty('nosuch'), /QubesNoSuchPropertyError/);
  });
});

import assert from 'node:assert/strict';
import { Qubes } from '../../../dom0-side/sdk/index';
import { QnetdKit, runQnet } from './qnetd-kit';

/** The refusals qubesd makes, through a real qnetd and real `qnet` processes. */
describe('dom0-side refusals as qubesd makes them (real qnetd + qnet CLI)', function () {
  this.timeout(30_000);
  let kit: QnetdKit;
  let app: Qubes;

  beforeEach(async () => {
    kit = new QnetdKit();
    await kit.start();
    app = await Qubes.connect({ runDir: kit.runDir });
    await app.domains.create('sys-net', { providesNetwork: true, netvm: null });
    await app.domains.create('sys-firewall', { providesNetwork: true, netvm: 'sys-net' });
    await app.domains.create('work', { netvm: 'sys-firewall' });
    await app.domains.create('personal', { netvm: 'sys-firewall' });
  });
  afterEach(async () => {
    app.close();
    await kit.dispose();
  });

  const power = async (name: string) => (await (await app.domains.get(name)).prefs()).power;
  const oneLine = (stderr: string) => {
    const lines = stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `one line expected, got: ${stderr}`);
    return lines[0];
  };

  it('refuses to attach a running qube to a halted netvm, naming the qube acted on', async () => {
    for (const q of ['sys-net', 'work']) await runQnet(kit, ['start', q, '--no-wait']);
    const r = await runQnet(kit, ['prefs', 'work', 'netvm', 'sys-net', '--no-wait']);
    assert.equal(r.code, 0, r.stderr);
    const refused = await runQnet(kit, ['prefs', 'work', 'netvm', 'sys-firewall', '--no-wait']);
    assert.equal(refused.code, 75);
    assert.match(
      oneLine(refused.stderr),
      /^qnet: CONFLICT: qube "work" is running and its new netvm "sys-firewall" is halted/,
    );
    assert.equal((await (await app.domains.get('work')).prefs()).netvm, 'sys-net');
    // A halted qube may be attached to a halted netvm, as in Qubes.
    const halted = await runQnet(kit, ['prefs', 'personal', 'netvm', 'sys-net', '--no-wait']);
    assert.equal(halted.code, 0, halted.stderr);
  });

  it('refuses to shut down a netvm with running clients unless --force', async () => {
    for (const q of ['sys-net', 'sys-firewall', 'work']) await runQnet(kit, ['start', q, '--no-wait']);
    const refused = await runQnet(kit, ['shutdown', 'sys-firewall', '--no-wait']);
    assert.equal(refused.code, 75);
    assert.equal(
      oneLine(refused.stderr),
      'qnet: CONFLICT: qube "sys-firewall" still has running qubes connected: "work"; shut them down first or force',
    );
    assert.equal(await power('sys-firewall'), 'running');
    const forced = await runQnet(kit, ['shutdown', 'sys-firewall', '--force', '--no-wait']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(await power('sys-firewall'), 'halted');
    // A halted client does not stand in the way.
    await runQnet(kit, ['shutdown', 'work', '--no-wait']);
    await runQnet(kit, ['start', 'sys-firewall', '--no-wait']);
    assert.equal((await runQnet(kit, ['shutdown', 'sys-firewall', '--no-wait'])).code, 0);
  });

  it('refuses to remove a qube in use, listing its users, and blames it (not a client)', async () => {
    const refused = await runQnet(kit, ['remove', 'sys-firewall', '--no-wait']);
    assert.equal(refused.code, 75);
    assert.equal(
      oneLine(refused.stderr),
      'qnet: CONFLICT: qube "sys-firewall" is in use (netvm of "personal", "work"); change those first',
    );
    assert.equal(await app.domains.has('sys-firewall'), true);
    assert.equal((await runQnet(kit, ['remove', 'work', '--no-wait'])).code, 0);
  });

  it('reports an address clash on the qube whose address was set', async () => {
    const personalIp = (await (await app.domains.get('personal')).prefs()).ip;
    const refused = await runQnet(kit, ['prefs', 'work', 'ip', String(personalIp), '--no-wait']);
    assert.equal(refused.code, 65);
    assert.equal(
      oneLine(refused.stderr),
      `qnet: BAD_REQUEST: qube "work": ip ${String(personalIp)} is already used by "personal"`,
    );
  });

  it('checks every flag before the change: a bad --timeout changes nothing', async () => {
    await runQnet(kit, ['start', 'sys-net', '--no-wait']);
    const bad = await runQnet(kit, ['shutdown', 'sys-net', '--timeout', 'soon']);
    assert.equal(bad.code, 64);
    assert.match(oneLine(bad.stderr), /^qnet: USAGE: --timeout takes seconds, got "soon"/);
    assert.equal(await power('sys-net'), 'running');
    const badSet = await runQnet(kit, ['prefs', 'work', 'netvm', 'sys-net', '--timeout', '-1']);
    assert.equal(badSet.code, 64);
    assert.equal((await (await app.domains.get('work')).prefs()).netvm, 'sys-firewall');
  });
});

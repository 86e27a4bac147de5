import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Qubes } from '../../../dom0-side/sdk/index';
import { QnetdKit, runQnet, type RecordedPush } from './qnetd-kit';

type SyncClient = { name: string; ip: string; rules: Record<string, unknown>[] };

/** The client table of the last FirewallSync qnetd pushed to `provider`. */
function lastFirewall(pushes: RecordedPush[], provider: string): Map<string, SyncClient> {
  const sync = pushes.filter((p) => p.target === provider && p.service === 'qubes.FirewallSync').at(-1);
  assert.ok(sync, `no FirewallSync pushed to ${provider}`);
  return new Map((sync.request.clients as SyncClient[]).map((c) => [c.name, c]));
}

// Issue 10: a rule Qubes accepts but qnet cannot send, or a disposable with
// dispid 0, must cost only that qube; qnetd keeps serving everyone else.
describe('dom0-side qnetd: one qube never takes down the inventory (real qnetd, recording transport)', function () {
  let kit: QnetdKit;
  let app: Qubes;
  beforeEach(async () => {
    kit = new QnetdKit();
    await kit.start();
    app = await Qubes.connect({ runDir: kit.runDir });
    await app.domains.create('sys-firewall', { providesNetwork: true });
    for (const name of ['work', 'personal']) await app.domains.create(name, { netvm: 'sys-firewall' });
    for (const name of ['sys-firewall', 'work', 'personal']) await (await app.domains.get(name)).start();
  });
  afterEach(async () => {
    app.close();
    await kit.dispose();
  });

  // Each of these is a rule qubesd stores, which qubes.FirewallSync cannot carry.
  const unsendable = [
    'action=accept dsthost=443',
    'action=accept proto=tcp dsthost=a..example.org',
    `action=accept dsthost=${'a'.repeat(64)}.example`,
    'action=accept dsthost=example.org specialtarget=dns',
  ];
  for (const rule of unsendable) {
    it(`accepts ${JSON.stringify(rule.slice(0, 60))}, drops all of that qube's traffic, serves the others`, async () => {
      const work = await app.domains.get('work');
      await (await work.firewall.setRules(['action=accept proto=tcp dstports=443', rule])).wait({ timeoutMs: 10_000 });
      assert.match((await work.firewall.error())!, /^rule 1: /);
      assert.deepEqual(lastFirewall(kit.pushes(), 'sys-firewall').get('work')!.rules, [{ action: 'drop' }]);

      const personal = await app.domains.get('personal');
      const batch = await personal.firewall.setRules(['action=accept proto=udp dstports=53']);
      assert.equal((await batch.wait({ timeoutMs: 10_000 })).complete, true);
      const table = lastFirewall(kit.pushes(), 'sys-firewall');
      assert.deepEqual(table.get('personal')!.rules, [
        { action: 'accept', proto: 'udp', dstports: { from: 53, to: 53 } },
      ]);
      assert.deepEqual(table.get('work')!.rules, [{ action: 'drop' }]);
      assert.equal(await personal.firewall.error(), null);

      const listed = await runQnet(kit, ['firewall', 'work', 'list']);
      assert.equal(listed.code, 0);
      assert.match(listed.stderr, /work's firewall fails closed \(all dropped\): rule 1: /);
      assert.match(listed.stdout, /^0 +accept +- +tcp +443 +- +- +- +-$/m);
      // Both rules stay listed, the one the provider cannot carry included.
      assert.equal((await runQnet(kit, ['firewall', 'work', 'list', '--raw'])).stdout.split('\n').length, 3);
      const prefs = await runQnet(kit, ['prefs', 'work', 'firewall_error']);
      assert.match(prefs.stdout, /^rule 1: /);
      const status = await runQnet(kit, ['status']);
      assert.match(status.stdout, /^work's firewall fails closed \(all dropped\): rule 1: /m);
      assert.doesNotMatch(status.stdout, /personal's firewall/);
      const rows = JSON.parse((await runQnet(kit, ['status', '--json'])).stdout) as Record<string, unknown>[];
      assert.ok(rows.some((r) => r.qube === 'work' && /^rule 1: /.test(String(r.firewallError))));
      assert.ok(rows.every((r) => r.qube === 'work' || r.firewallError === undefined));

      // Fixing the rules lifts the fail-closed state.
      await (await work.firewall.setRules(['action=accept proto=tcp dstports=443'])).wait({ timeoutMs: 10_000 });
      assert.equal(await work.firewall.error(), null);
      assert.deepEqual(lastFirewall(kit.pushes(), 'sys-firewall').get('work')!.rules, [
        { action: 'accept', proto: 'tcp', dstports: { from: 443, to: 443 } },
      ]);
    });
  }

  it('keeps such a rule, and a dispid 0 disposable, across a qnetd restart', async () => {
    await (await app.domains.get('work')).firewall.setRules(['action=accept dsthost=443']);
    await app.domains.create('disp0', { klass: 'DispVM', dispid: 0, netvm: 'sys-firewall' });
    const disp = await app.domains.get('disp0');
    await disp.start();
    assert.equal(await disp.getProperty('ip'), '10.138.0.0');
    assert.equal(await disp.getProperty('dispid'), 0);
    app.close();
    await kit.stop();
    const before = kit.pushes().length;
    await kit.start();
    app = await Qubes.connect({ runDir: kit.runDir });
    assert.match((await (await app.domains.get('work')).firewall.error())!, /^rule 0: /);
    // A change to another qube still propagates after the restart.
    const batch = await (await app.domains.get('personal')).firewall.setRules(['action=drop']);
    assert.equal((await batch.wait({ timeoutMs: 10_000 })).complete, true);
    const table = lastFirewall(kit.pushes().slice(before), 'sys-firewall');
    assert.deepEqual(table.get('personal')!.rules, [{ action: 'drop' }]);
    assert.deepEqual(table.get('work')!.rules, [{ action: 'drop' }]);
    assert.equal(table.get('disp0')!.ip, '10.138.0.0');
  });
});

describe('dom0-side qnetd: a stored rule this version refuses (real qnetd)', function () {
  let kit: QnetdKit;
  afterEach(async () => {
    await kit.dispose();
  });

  it('starts, keeps the line verbatim, fails only that qube closed, and lets a replace fix it', async () => {
    kit = new QnetdKit();
    mkdirSync(kit.stateDir, { recursive: true });
    const stored = (name: string, extra: object) => ({
      ...{ name, class: 'AppVM', features: {}, tags: [], firewall: null, power: 'running' },
      ...extra,
    });
    // Written by qnet 0.1, which took port 65536 as qubesd once did; qubesd 4.4 refuses it.
    const old = 'action=accept proto=tcp dstports=1-65536';
    writeFileSync(
      join(kit.stateDir, 'inventory.json'),
      JSON.stringify({
        format: 'qnet-inventory',
        version: 1,
        qubes: [
          stored('sys-firewall', { qid: 2, netvm: null, provides_network: true }),
          stored('work', { qid: 3, netvm: 'sys-firewall', provides_network: false, firewall: [old] }),
          stored('personal', { qid: 4, netvm: 'sys-firewall', provides_network: false }),
        ],
      }),
    );
    await kit.start();
    const app = await Qubes.connect({ runDir: kit.runDir });
    try {
      const work = await app.domains.get('work');
      assert.deepEqual(await work.firewall.getRules(), [old]);
      assert.match((await work.firewall.error())!, /^stored rule 0 is refused: dstports: ports out of range/);
      const batch = await (await app.domains.get('personal')).firewall.setRules(['action=drop']);
      assert.equal((await batch.wait({ timeoutMs: 10_000 })).complete, true);
      const table = lastFirewall(kit.pushes(), 'sys-firewall');
      assert.deepEqual(table.get('work')!.rules, [{ action: 'drop' }]);
      assert.deepEqual(table.get('personal')!.rules, [{ action: 'drop' }]);
      assert.deepEqual(JSON.parse(readFileSync(join(kit.stateDir, 'inventory.json'), 'utf8')).qubes[2].firewall, [old]);
      await (await work.firewall.edit(() => ['action=accept proto=tcp dstports=1-65535'])).wait({ timeoutMs: 10_000 });
      assert.equal(await work.firewall.error(), null);
      assert.deepEqual(lastFirewall(kit.pushes(), 'sys-firewall').get('work')!.rules, [
        { action: 'accept', proto: 'tcp', dstports: { from: 1, to: 65535 } },
      ]);
    } finally {
      app.close();
    }
  });
});

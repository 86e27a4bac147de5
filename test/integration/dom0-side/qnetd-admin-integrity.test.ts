import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode, unpackStrict } from '../../../shared/codec/strict-unpackr';
import { Qubes, RevisionConflictError } from '../../../dom0-side/sdk/index';
import { rawSocketCall } from '../../helpers/processes';
import { QnetdKit, runQnet } from './qnetd-kit';

type Envelope = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };

/** One admin call with bytes the SDK would never send (it checks requests itself first). */
async function rawAdmin(kit: QnetdKit, service: string, request: unknown): Promise<Envelope> {
  const { data } = await rawSocketCall(join(kit.runDir, 'qnetd.sock'), [
    Buffer.concat([Buffer.from(`${service} dom0\0`), encode(request)]),
  ]);
  return unpackStrict(data) as Envelope;
}

function refused(reply: Envelope, message: RegExp): void {
  assert.equal(reply.ok, false, JSON.stringify(reply));
  if (!reply.ok) {
    assert.equal(reply.error.code, 'BAD_REQUEST');
    assert.match(reply.error.message, message);
  }
}

// Issue 11 point 7: what qnetd acknowledges survives a restart, whatever the key;
// what qubesd would refuse (or what only looks like an address or option) is refused at the door.
describe('dom0-side qnetd admin API: untrusted keys and values (real qnetd)', function () {
  let kit: QnetdKit;
  let app: Qubes;
  beforeEach(async () => {
    kit = new QnetdKit();
    await kit.start();
    app = await Qubes.connect({ runDir: kit.runDir });
    await app.domains.create('sys-net', { providesNetwork: true });
    await app.domains.create('work', { netvm: 'sys-net' });
  });
  afterEach(async () => {
    app.close();
    await kit.dispose();
  });

  it('keeps features named __proto__, constructor and toString across a restart', async () => {
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'ipv6'];
    const work = await app.domains.get('work');
    for (const name of names) await work.features.set(name, `v-${name}`);
    const check = async () => {
      const all = await (await app.domains.get('work')).features.all();
      assert.deepEqual(Object.keys(all).sort(), [...names].sort());
      for (const name of names) {
        assert.equal(all[name], `v-${name}`);
        assert.equal(await (await app.domains.get('work')).features.get(name), `v-${name}`);
      }
    };
    await check();
    app.close();
    await kit.stop();
    await kit.start();
    app = await Qubes.connect({ runDir: kit.runDir });
    await check();
    const cli = await runQnet(kit, ['features', 'work', '__proto__']);
    assert.equal(cli.stdout.trim(), 'v-__proto__');
    await (await app.domains.get('work')).features.delete('__proto__');
    assert.equal(await (await app.domains.get('work')).features.get('__proto__'), undefined);
  });

  it("refuses feature names outside qubesd's charset and values outside printable ASCII", async () => {
    for (const feature of ['a b', 'caf\u00e9', 'x/y', 'a=b', '', '-\n']) {
      refused(await rawAdmin(kit, 'qnet.admin.SetFeature', { name: 'work', feature, value: '1' }), /feature/);
    }
    refused(await rawAdmin(kit, 'qnet.admin.SetFeature', { name: 'work', feature: 'x', value: 'a\nb' }), /value/);
    assert.deepEqual(await (await app.domains.get('work')).features.all(), Object.create(null));
  });

  it('refuses unusable own addresses and option-like names', async () => {
    for (const value of ['0.0.0.0', '255.255.255.255', '224.0.0.1', '127.0.0.1', '0.1.2.3', '240.0.0.1']) {
      refused(
        await rawAdmin(kit, 'qnet.admin.SetProperty', { name: 'work', property: 'ip', value }),
        /ip|address|network|reserved/,
      );
    }
    for (const value of ['::', '::1', 'ff02::1', '::ffff:10.0.0.1']) {
      refused(await rawAdmin(kit, 'qnet.admin.SetProperty', { name: 'work', property: 'ip6', value }), /address/);
    }
    for (const name of ['-d', '--help', '-work']) {
      refused(await rawAdmin(kit, 'qnet.admin.Get', { name }), /qube name/);
      refused(await rawAdmin(kit, 'qnet.admin.SetProperty', { name: 'work', property: 'netvm', value: name }), /name/);
      refused(
        await rawAdmin(kit, 'qnet.admin.Call', {
          target: name,
          service: 'qnet.Ping',
          payload: new Uint8Array(1),
          timeoutMs: 1000,
          maxReplyBytes: 1024,
        }),
        /qube name/,
      );
    }
    const ok = await rawAdmin(kit, 'qnet.admin.SetProperty', { name: 'work', property: 'ip', value: '10.1.2.3' });
    assert.equal(ok.ok, true);
    assert.equal(await (await app.domains.get('work')).getProperty('ip'), '10.1.2.3');
  });
});

// Issue 11 point 6: concurrent read-edit-replace of one qube's firewall never loses an acknowledged rule.
describe('dom0-side qnetd admin API: firewall compare-and-set (real qnetd, real qnet processes)', function () {
  let kit: QnetdKit;
  let app: Qubes;
  beforeEach(async () => {
    kit = new QnetdKit();
    await kit.start();
    app = await Qubes.connect({ runDir: kit.runDir });
    await app.domains.create('sys-net', { providesNetwork: true });
    await app.domains.create('work', { netvm: 'sys-net' });
  });
  afterEach(async () => {
    app.close();
    await kit.dispose();
  });

  it('refuses a replace that names a stale revision, with a typed error', async () => {
    const fw = (await app.domains.get('work')).firewall;
    const { rules, revision } = await fw.read();
    assert.deepEqual(rules, ['action=accept']);
    await fw.setRules(['action=drop'], { expectedRevision: revision });
    const stale = fw.setRules([...rules, 'action=accept proto=tcp dstports=22'], { expectedRevision: revision });
    await assert.rejects(
      stale,
      (err: unknown) => err instanceof RevisionConflictError && err.code === 'REVISION_CONFLICT',
    );
    assert.deepEqual(await fw.getRules(), ['action=drop']);
    const cli = await runQnet(kit, ['firewall', 'work', 'add', 'accept', 'proto=tcp', 'dstports=22']);
    assert.equal(cli.code, 0, cli.stderr);
    assert.deepEqual(await fw.getRules(), ['action=drop', 'action=accept proto=tcp dstports=22-22']);
  });

  it('keeps every rule of 12 concurrent `qnet firewall work add` processes, and of concurrent dels', async () => {
    const ports = Array.from({ length: 12 }, (_, i) => 1000 + i);
    const adds = await Promise.all(
      ports.map((p) => runQnet(kit, ['firewall', 'work', 'add', 'drop', 'proto=tcp', `dstports=${p}`])),
    );
    for (const r of adds) assert.equal(r.code, 0, r.stderr);
    const fw = (await app.domains.get('work')).firewall;
    const after = await fw.getRules();
    assert.equal(after.length, 1 + ports.length);
    for (const p of ports) assert.ok(after.includes(`action=drop proto=tcp dstports=${p}-${p}`), `rule for ${p} lost`);

    const gone = ports.slice(0, 6);
    const dels = await Promise.all(
      gone.map((p) => runQnet(kit, ['firewall', 'work', 'del', 'drop', 'proto=tcp', `dstports=${p}`])),
    );
    for (const r of dels) assert.equal(r.code, 0, r.stderr);
    const left = await fw.getRules();
    assert.deepEqual(
      left.filter((l) => l !== 'action=accept').sort(),
      ports.slice(6).map((p) => `action=drop proto=tcp dstports=${p}-${p}`),
    );
  });
});

// Issue 11 points 8 and 10: state files qnetd did not write itself.
describe('dom0-side qnetd state files: a FIFO in place, a lost generation ceiling (real qnetd)', function () {
  let kit: QnetdKit;
  beforeEach(() => {
    kit = new QnetdKit();
  });
  afterEach(async () => {
    await kit.dispose();
  });

  for (const file of ['inventory.json', 'generations.json']) {
    it(`refuses a FIFO in place of ${file} at once, with one clear line, instead of hanging`, async () => {
      mkdirSync(kit.stateDir, { recursive: true });
      execFileSync('mkfifo', [join(kit.stateDir, file)]);
      // generations.json is first read when a generation is needed: give qnetd a qube to push.
      if (file === 'generations.json') {
        writeFileSync(
          join(kit.stateDir, 'inventory.json'),
          JSON.stringify({
            format: 'qnet-inventory',
            version: 1,
            qubes: [
              {
                ...{ name: 'sys-net', qid: 2, class: 'AppVM', netvm: null, provides_network: true },
                ...{ features: {}, tags: [], firewall: null, power: 'running' },
              },
            ],
          }),
        );
      }
      const started = Date.now();
      await assert.rejects(kit.start(), (err: Error) => {
        assert.match(err.message, /qnetd exited with [1-9]/);
        assert.match(kit.stderr, new RegExp(`${file.replace('.', '\\.')}.*cannot be read: it is a FIFO`));
        return true;
      });
      assert.ok(Date.now() - started < 9000, 'qnetd gave up at once');
      const errorLines = kit.stderr.split('\n').filter((l) => /FIFO/.test(l));
      assert.equal(errorLines.length, 1, kit.stderr);
    });
  }

  it('continues above every generation it handed out when generations.json is deleted beside the inventory', async () => {
    await kit.start();
    let app = await Qubes.connect({ runDir: kit.runDir });
    await app.domains.create('sys-net', { providesNetwork: true });
    await app.domains.create('work', { netvm: 'sys-net' });
    for (const name of ['sys-net', 'work']) await (await app.domains.get(name)).start();
    await (await (await app.domains.get('work')).features.set('x', '1')).wait({ timeoutMs: 10_000 });
    const before = Math.max(...kit.pushes().map((p) => p.request.generation));
    app.close();
    await kit.stop();
    rmSync(join(kit.stateDir, 'generations.json'));
    const count = kit.pushes().length;
    await kit.start();
    app = await Qubes.connect({ runDir: kit.runDir });
    await (await (await app.domains.get('sys-net')).firewall.setRules(['action=drop'])).wait({ timeoutMs: 10_000 });
    const after = kit.pushes().slice(count);
    assert.ok(after.length > 0);
    for (const p of after) assert.ok(p.request.generation > before, `${p.request.generation} <= ${before}`);
    assert.match(kit.stderr, /generation file .* is missing beside .*inventory\.json/);
    app.close();
  });
});

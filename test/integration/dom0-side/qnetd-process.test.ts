import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { NetConfig } from '../../../services/net-config';
import { Ping } from '../../../services/ping';
import { encode, unpackStrict } from '../../../shared/codec/strict-unpackr';
import { BadReplyError } from '../../../shared/errors/client-errors';
import {
  ChangeConflictError,
  InvalidChangeError,
  QnetdUnavailableError,
  QubeNotFoundError,
  Qubes,
  type QnetdEvent,
} from '../../../dom0-side/sdk/index';
import { rawSocketCall, waitFor } from '../../helpers/processes';
import { QnetdKit } from './qnetd-kit';

type Envelope = { ok: true; result: Record<string, unknown> } | { ok: false; error: { code: string; message: string } };

async function pullAs(kit: QnetdKit, source: string, payload: unknown, service = 'qubes.NetConfig'): Promise<Envelope> {
  // One write: the server may answer an unknown service before reading the payload.
  const { data } = await rawSocketCall(join(kit.runDir, 'qrexec.sock'), [
    Buffer.concat([Buffer.from(`${service} ${source}\0`), encode(payload)]),
  ]);
  return unpackStrict(data) as Envelope;
}

async function buildTree(app: Qubes) {
  await app.domains.create('sys-net', { providesNetwork: true });
  await app.domains.create('sys-firewall', { providesNetwork: true, netvm: 'sys-net' });
  await app.domains.create('work', { netvm: 'sys-firewall' });
  await app.domains.create('personal', { netvm: 'sys-firewall' });
}

describe('dom0-side qnetd process (real qnetd, qubes halted)', function () {
  let kit: QnetdKit;
  let app: Qubes;
  beforeEach(async () => {
    kit = new QnetdKit({ recording: false });
    await kit.start();
    app = await Qubes.connect({ runDir: kit.runDir });
  });
  afterEach(async () => {
    app.close();
    await kit.dispose();
  });

  it('serves the admin socket root-only, and only pull and ping on the qrexec socket', async () => {
    assert.equal(statSync(join(kit.runDir, 'qnetd.sock')).mode & 0o777, 0o600);
    const ping = await pullAs(kit, 'work', {}, 'qnet.Ping');
    assert.ok(ping.ok);
    assert.deepEqual(ping.result.services, ['qnet.Ping', 'qubes.NetConfig']);
    assert.equal(ping.result.caller, 'work');
    const admin = await pullAs(kit, 'work', { name: 'x', feature: 'ipv6', value: '1' }, 'qnet.admin.SetFeature');
    assert.ok(!admin.ok);
    assert.equal(admin.error.code, 'UNKNOWN_SERVICE');
  });

  it('round-trips the SDK: domains, netvm, features, firewall, network, typed errors', async () => {
    await buildTree(app);
    const names: string[] = [];
    for await (const vm of app.domains) names.push(vm.name);
    assert.deepEqual(names, ['personal', 'sys-firewall', 'sys-net', 'work']);
    assert.equal(await app.domains.has('work'), true);
    assert.equal(await app.domains.has('ghost'), false);
    const work = await app.domains.get('work');
    assert.equal((await work.getNetvm())!.name, 'sys-firewall');
    await work.setNetvm('sys-net');
    assert.equal((await work.getNetvm())!.name, 'sys-net');
    const sysNet = await app.domains.get('sys-net');
    await sysNet.features.set('ipv6', true);
    assert.equal(await sysNet.features.get('ipv6'), '1');
    assert.equal(await work.features.get('ipv6'), undefined);
    assert.equal(await work.features.get('ipv6', 'none'), 'none');
    assert.equal(await work.features.checkWithNetvm('ipv6'), '1');
    const net = await work.network();
    assert.deepEqual(
      {
        ip: net.ip,
        ip6: net.ip6,
        visible_gateway: net.visible_gateway,
        visible_gateway6: net.visible_gateway6,
        dns: net.dns,
        ipv6: net.ipv6,
      },
      {
        ip: '10.137.0.3',
        ip6: 'fd09:24ef:4179::a89:3',
        visible_gateway: '10.137.0.1',
        visible_gateway6: 'fd09:24ef:4179::a89:1',
        dns: ['10.139.1.1', '10.139.1.2'],
        ipv6: true,
      },
    );
    await sysNet.features.delete('ipv6');
    assert.equal(await work.features.checkWithNetvm('ipv6'), undefined);
    assert.deepEqual(await work.firewall.rules.get(), ['action=accept']);
    await work.firewall.rules.set(['action=accept proto=tcp dsthost=example.org dstports=443', 'action=drop']);
    assert.deepEqual(await work.firewall.getRules(), [
      'action=accept dsthost=example.org proto=tcp dstports=443-443',
      'action=drop',
    ]);
    await work.firewall.reset();
    assert.equal((await work.prefs()).firewall, null);

    await assert.rejects(
      app.domains.get('ghost'),
      (e: unknown) => e instanceof QubeNotFoundError && e.code === 'NOT_FOUND',
    );
    await assert.rejects(
      work.setNetvm('work'),
      (e: unknown) => e instanceof InvalidChangeError && /own netvm/.test(e.message),
    );
    await assert.rejects(app.domains.create('work'), (e: unknown) => e instanceof ChangeConflictError);
    await assert.rejects(work.firewall.setRules(['action=maybe']), InvalidChangeError);
    await assert.rejects(Qubes.connect({ runDir: join(kit.dir.path, 'nowhere') }), QnetdUnavailableError);
  });

  it("answers a boot pull with the caller's own document only, and keeps state across a restart", async () => {
    await buildTree(app);
    const pulled = await pullAs(kit, 'work', {});
    assert.ok(pulled.ok);
    assert.equal(pulled.result.qube, 'work');
    assert.equal((pulled.result.uplink as { gateway: string }).gateway, '10.137.0.2');
    const sneaky = await pullAs(kit, 'personal', { qube: 'work' });
    assert.ok(!sneaky.ok && sneaky.error.code === 'BAD_REQUEST');
    const stranger = await pullAs(kit, 'stranger', {});
    assert.ok(!stranger.ok && stranger.error.code === 'NOT_FOUND');

    app.close();
    await kit.stop();
    assert.equal(existsSync(join(kit.runDir, 'qnetd.sock')), false, 'SIGTERM removes the sockets');
    await kit.start();
    app = await Qubes.connect({ runDir: kit.runDir });
    assert.equal(await app.domains.has('personal'), true);
    const again = await pullAs(kit, 'work', {});
    assert.ok(again.ok);
    assert.ok((again.result.generation as number) > (pulled.result.generation as number));
    assert.deepEqual({ ...again.result, generation: 0 }, { ...pulled.result, generation: 0 });
  });
});

describe('dom0-side qnetd process (recording transport)', function () {
  let kit: QnetdKit;
  let app: Qubes;
  beforeEach(async () => {
    kit = new QnetdKit();
    await kit.start();
    app = await Qubes.connect({ runDir: kit.runDir });
    await buildTree(app);
  });
  afterEach(async () => {
    app.close();
    await kit.dispose();
  });

  it('pushes on start, reports through the batch and app.events', async () => {
    const events: QnetdEvent[] = [];
    const all: string[] = [];
    app.events.on('push-done', (e) => events.push(e));
    app.events.on('*', (e) => all.push(e.type));
    await app.events.ready();
    const batch = await (await app.domains.get('sys-net')).start();
    assert.deepEqual(
      batch.pushes.map((p) => `${p.qube} ${p.service}`),
      ['sys-net qubes.NetConfig', 'sys-net qubes.FirewallSync'],
    );
    const report = await batch.wait({ timeoutMs: 10_000 });
    assert.equal(report.complete, true);
    assert.deepEqual(
      report.results.map((r) => r.outcome),
      ['done', 'done'],
    );
    await waitFor(() => events.length >= 2, 10_000, 'push events');
    assert.deepEqual(
      events.map((e) => `${e.qube} ${e.service} ${e.generation}`),
      batch.pushes.map((p) => `${p.qube} ${p.service} ${p.generation}`),
    );
    assert.deepEqual(all.slice(0, 2), ['push-done', 'push-done']);
    assert.deepEqual(
      kit.pushes().map((p) => `${p.target} ${p.service} ${p.request.generation}`),
      batch.pushes.map((p) => `${p.qube} ${p.service} ${p.generation}`),
    );
    const status = (await app.status()).filter((r) => r.qube === 'sys-net');
    assert.ok(status.every((r) => r.state === 'ok' && r.applied === r.desired));
  });

  it('relays typed calls with app.call and checks the reply on the SDK side', async () => {
    const reply = await app.call(NetConfig, 'work', { generation: 42, qube: 'work' });
    assert.deepEqual(reply, { appliedGeneration: 42 });
    assert.deepEqual(kit.pushes().at(-1), {
      target: 'work',
      service: 'qubes.NetConfig',
      request: { generation: 42, qube: 'work' },
    });
    // The recording agent answers every service like a push: not a valid Ping reply.
    await assert.rejects(app.call(Ping, 'work', {}), BadReplyError);
  });
});

import assert from 'node:assert/strict';
import { FirewallRuleError, Qubes, Rule, type QnetdEvent, type QubeEvent } from '../../../dom0-side/sdk/index';
import { waitFor } from '../../helpers/processes';
import { QnetdKit } from './qnetd-kit';

describe('dom0-side SDK: qubesadmin-like events with causes (real qnetd)', function () {
  this.timeout(30_000);
  let kit: QnetdKit;
  let app: Qubes;
  beforeEach(async () => {
    kit = new QnetdKit();
    await kit.start();
    app = await Qubes.connect({ runDir: kit.runDir });
  });
  afterEach(async () => {
    app.close();
    await kit.dispose();
  });

  it('reports each change as its qubesadmin event, and every push it caused with that cause, once', async () => {
    const qube: QubeEvent[] = [];
    const pushes: QnetdEvent[] = [];
    const features: QubeEvent[] = [];
    app.events.on('qube:*', (e) => qube.push(e));
    app.events.on('feature-set:*', (e) => features.push(e));
    app.events.on('*', (e) => pushes.push(e));
    await app.events.ready();

    await app.domains.create('sys-net', { providesNetwork: true, netvm: null });
    await app.domains.create('sys-firewall', { providesNetwork: true, netvm: 'sys-net' });
    await app.domains.create('work', { netvm: 'sys-firewall' });
    const batches = [];
    for (const name of ['sys-net', 'sys-firewall', 'work']) batches.push(await (await app.domains.get(name)).start());
    const work = await app.domains.get('work');
    batches.push(await work.setNetvm('sys-net'));
    batches.push(await work.features.set('ipv6', true));
    batches.push(
      await work.firewall.rules.set(['action=accept dsthost=192.0.2.7 proto=tcp dstports=443', 'action=drop']),
    );
    batches.push(await (await app.domains.get('work')).shutdown());
    for (const b of batches) assert.equal((await b.wait({ timeoutMs: 10_000 })).complete, true);
    const expected = batches.flatMap((b) => b.pushes);
    await waitFor(() => pushes.length >= expected.length && qube.length >= 10, 10_000, 'events');
    await new Promise((r) => setTimeout(r, 300)); // anything duplicated would arrive by now

    assert.deepEqual(
      qube.map((e) => `${e.event} ${e.qube}`),
      [
        'domain-add sys-net',
        'domain-add sys-firewall',
        'domain-add work',
        'domain-start sys-net',
        'domain-start sys-firewall',
        'domain-start work',
        'property-set:netvm work',
        'feature-set:ipv6 work',
        'firewall-changed work',
        'domain-shutdown work',
      ],
    );
    const netvmSet = qube.find((e) => e.event === 'property-set:netvm')!;
    assert.deepEqual(netvmSet.args, { name: 'netvm', newvalue: 'sys-net', oldvalue: 'sys-firewall' });
    assert.deepEqual(
      features.map((e) => [e.event, e.args.value]),
      [['feature-set:ipv6', '1']],
    );

    // Every push event names the qube event that caused it; none is reported twice.
    const keys = pushes.map((e) => `${e.type} ${e.qube} ${e.service} ${e.generation} ${e.cause}`);
    assert.equal(new Set(keys).size, keys.length, `duplicates in ${keys.join('\n')}`);
    assert.equal(pushes.length, expected.length);
    const causes = new Set(qube.map((e) => e.cause));
    for (const p of pushes) assert.ok(causes.has(p.cause!), `push ${p.qube} ${p.service} has cause ${p.cause}`);
    const byNetvm = pushes.filter((p) => p.cause === netvmSet.cause).map((p) => `${p.qube} ${p.service}`);
    assert.deepEqual(byNetvm.sort(), batches[3].pushes.map((p) => `${p.qube} ${p.service}`).sort());
    const fw = qube.find((e) => e.event === 'firewall-changed')!;
    assert.ok(pushes.some((p) => p.cause === fw.cause && p.service === 'qubes.FirewallSync'));
  });

  it("exports the firewall Rule type and qnetd's own parser", () => {
    const rule = Rule.parse('action=accept dsthost=192.0.2.0/24 proto=tcp dstports=443-443 comment=web');
    assert.equal(rule.action, 'accept');
    assert.deepEqual(rule.dstports, { from: 443, to: 443 });
    // As qubesd's api_rule: an address given as dsthost comes back as dst4.
    assert.equal(Rule.format(rule), 'action=accept dst4=192.0.2.0/24 proto=tcp dstports=443-443 comment=web');
    assert.throws(() => Rule.parse('action=accept dstports=80'), FirewallRuleError);
    assert.throws(() => Rule.parse('action=maybe'), FirewallRuleError);
  });

  it('domains.list() returns every qube with its prefs and defaults in one call', async () => {
    await app.domains.create('sys-net', { providesNetwork: true, netvm: null });
    await app.domains.create('work', { netvm: 'sys-net' });
    const list = await app.domains.list();
    assert.deepEqual(
      list.map((q) => [q.name, q.netvm, q.provides_network]),
      [
        ['sys-net', null, true],
        ['work', 'sys-net', false],
      ],
    );
    assert.ok(list.every((q) => Array.isArray(q.defaults) && typeof q.ip === 'string'));
  });
});

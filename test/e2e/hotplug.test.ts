import assert from 'node:assert/strict';
import { VIRTUAL_DNS } from '../../services/net-config';
import { awaitHotplug } from '../../sim/demo/await-hotplug';
import { CAST } from '../../sim/demo/cast';
import { prefsOf } from '../../sim/demo/check-line';
import { GUEST_DEVICE, vifOf } from '../../sim/planners/plan-sim';
import { DNS_RECORDS, UPSTREAM } from '../../sim/planners/upstream-plan';
import { useSimulation } from './sim-fixture';

const [HOST] = UPSTREAM.services;
const [HOST6] = UPSTREAM.services6;
const [PORT] = UPSTREAM.echoPorts;

// A user's netvm changes typed by hand into a running sim: only `qnet prefs`, the cable follows.
describe('e2e: hot-plug, netvm changed by hand in a running sim', function () {
  this.timeout(60_000);
  const s = useSimulation();
  // work keeps its domain id while it runs, so its vif keeps its name wherever it is attached.
  let workXid = -1;
  before(async () => (workXid = (await prefsOf(s.ctx, CAST.work)).xid));
  const vif = () => vifOf(workXid);

  /** Tracked flows in `qube` whose source is `src`: where work's packets really went, unmasqueraded. */
  async function flowsFrom(qube: string, src: string): Promise<number> {
    const r = await s.sim.execIn(qube, 'conntrack', ['-L', '-s', src]);
    return r.stdout.split('\n').filter((l) => l.includes(`src=${src} `)).length;
  }

  async function vifHolders(): Promise<string[]> {
    const holders: string[] = [];
    for (const q of s.ctx.topology.qubes) if (await s.ctx.probes.hasLink(q.name, vif())) holders.push(q.name);
    return holders;
  }

  /** Sets work's netvm by hand and waits for the supervisor; returns work's prefs. */
  async function setNetvm(netvm: string | null) {
    await s.sim.qnet.must(['prefs', CAST.work, 'netvm', netvm ?? 'none']);
    await awaitHotplug(s.ctx, CAST.work, netvm);
    return prefsOf(s.ctx, CAST.work);
  }

  /** IPv4 and IPv6 echo and DNS through DNS1 from work, each a real exchange with the upstream. */
  async function reachesUpstream(): Promise<void> {
    const tcp6 = await s.ctx.probes.tcp(CAST.work, HOST6, PORT);
    assert.ok(tcp6.ok, `tcp [${HOST6}]:${PORT}: ${tcp6.error}`);
    assert.equal(s.ctx.probes.echoSightings(tcp6.token).length, 1);
    const tcp = await s.ctx.probes.tcp(CAST.work, HOST, PORT);
    assert.ok(tcp.ok, `tcp ${HOST}:${PORT}: ${tcp.error}`);
    assert.equal(s.ctx.probes.echoSightings(tcp.token).length, 1);
    const dns = await s.ctx.probes.dns(CAST.work, VIRTUAL_DNS[0], DNS_RECORDS.name);
    assert.ok(dns.ok && dns.addresses?.includes(DNS_RECORDS.a), `dns: ${dns.error}`);
  }

  it('IPv6 on for the test: work reaches the upstream over both families through sys-firewall', async () => {
    await s.sim.qnet.must(['features', CAST.net, 'ipv6', '1']);
    assert.deepEqual(await vifHolders(), [CAST.firewall]);
    await reachesUpstream();
  });

  it('qnet prefs work netvm sys-net: the vif moves, and packets go to sys-net directly', async () => {
    const prefs = await setNetvm(CAST.net);
    assert.deepEqual(await vifHolders(), [CAST.net]);
    const before = await flowsFrom(CAST.net, prefs.ip!);
    await reachesUpstream();
    // Through sys-firewall, sys-net would only see sys-firewall's masqueraded address.
    assert.ok((await flowsFrom(CAST.net, prefs.ip!)) > before, 'sys-net tracks flows from work itself');
    const def = (await s.ctx.probes.routes(CAST.work)).find((r) => r.dst === 'default');
    assert.equal(def?.gateway, (await prefsOf(s.ctx, CAST.net)).ip);
  });

  it('and back to sys-firewall: the vif returns, sys-net sees no new flow from work', async () => {
    const prefs = await setNetvm(CAST.firewall);
    assert.deepEqual(await vifHolders(), [CAST.firewall]);
    const direct = await flowsFrom(CAST.net, prefs.ip!);
    const viaFirewall = await flowsFrom(CAST.firewall, prefs.ip!);
    await reachesUpstream();
    assert.equal(await flowsFrom(CAST.net, prefs.ip!), direct);
    assert.ok((await flowsFrom(CAST.firewall, prefs.ip!)) > viaFirewall, 'sys-firewall tracks flows from work');
  });

  it('netvm none: the vif is detached and nothing leaves work', async () => {
    const prefs = await setNetvm(null);
    assert.equal(prefs.ip, null);
    assert.deepEqual(await vifHolders(), []);
    assert.equal(await s.ctx.probes.hasLink(CAST.work, GUEST_DEVICE), false);
    for (const host of [HOST, HOST6]) {
      const r = await s.ctx.probes.tcp(CAST.work, host, PORT, { timeoutMs: 1000 });
      assert.equal(r.ok, false, `tcp ${host} from a qube without netvm`);
      assert.deepEqual(s.ctx.probes.echoSightings(r.token), []);
    }
    const dns = await s.ctx.probes.dns(CAST.work, VIRTUAL_DNS[0], DNS_RECORDS.name);
    assert.equal(dns.ok, false);
    // The others are untouched.
    const personal = await s.ctx.probes.tcp(CAST.personal, HOST, PORT);
    assert.ok(personal.ok, personal.error);
  });

  it('from none back to sys-firewall: a new cable, configured at both ends, and work is online again', async () => {
    const prefs = await setNetvm(CAST.firewall);
    assert.deepEqual(await vifHolders(), [CAST.firewall]);
    const eth0 = await s.ctx.probes.addresses(CAST.work, GUEST_DEVICE);
    assert.deepEqual(eth0.v4, [`${prefs.ip}/32`]);
    assert.deepEqual(eth0.v6, [`${prefs.ip6}/128`]);
    await reachesUpstream();
  });
});

import assert from 'node:assert/strict';
import { awaitHotplug } from '../../sim/demo/await-hotplug';
import { CAST } from '../../sim/demo/cast';
import { prefsOf } from '../../sim/demo/check-line';
import { VIF_NAME } from '../../sim/planners/plan-hotplug';
import { GUEST_DEVICE, netnsOf, vifOf } from '../../sim/planners/plan-sim';
import { UPSTREAM } from '../../sim/planners/upstream-plan';
import { useSimulation } from './sim-fixture';

const [HOST] = UPSTREAM.services;
const [PORT] = UPSTREAM.echoPorts;
const CUSTOM_MAC = '00:16:3e:12:34:56';

// Xen names a client's link after its domain id, which changes at every start: the sim does the same.
describe('e2e: Xen identity, a client restarted under a new xid and a qube with its own mac', function () {
  this.timeout(90_000);
  const s = useSimulation();

  async function vifsIn(qube: string): Promise<string[]> {
    return (await s.sim.kernel.linkNames(netnsOf(qube))).filter((n) => VIF_NAME.test(n)).sort();
  }

  /** A real TCP exchange with the upstream echo server, seen there once. */
  async function reachesUpstream(qube: string): Promise<void> {
    const tcp = await s.ctx.probes.tcp(qube, HOST, PORT);
    assert.ok(tcp.ok, `tcp ${HOST}:${PORT} from ${qube}: ${tcp.error}`);
    assert.equal(s.ctx.probes.echoSightings(tcp.token).length, 1);
  }

  it('the provider holds vif<xid>.0 for each running client, not vif<qid>.0', async () => {
    const clients = s.ctx.topology.qubes.filter((q) => q.netvm === CAST.firewall);
    const xids = await Promise.all(clients.map(async (q) => (await prefsOf(s.ctx, q.name)).xid));
    assert.deepEqual(await vifsIn(CAST.firewall), xids.map(vifOf).sort());
    const work = clients.findIndex((q) => q.name === CAST.work);
    assert.notEqual(xids[work], clients[work].qid, 'the default topology boots work with an xid other than its qid');
    assert.equal(await s.sim.qnet.must(['prefs', CAST.work, 'xid']), `${xids[work]}\n`);
    await reachesUpstream(CAST.work);
  });

  it('qnet shutdown + qnet start of work: a new xid, the vif renamed at sys-firewall, traffic resumes', async () => {
    const before = await prefsOf(s.ctx, CAST.work);
    await s.sim.qnet.must(['shutdown', CAST.work]);
    assert.equal((await prefsOf(s.ctx, CAST.work)).xid, -1, 'a halted qube has xid -1, as qubesd says');
    await awaitHotplug(s.ctx, CAST.work, null);
    assert.ok(!(await vifsIn(CAST.firewall)).includes(vifOf(before.xid)), 'the old vif is detached');
    await s.sim.qnet.must(['start', CAST.work]);
    const after = await prefsOf(s.ctx, CAST.work);
    assert.ok(after.xid > before.xid, `new xid ${after.xid} after ${before.xid}`);
    const view = await awaitHotplug(s.ctx, CAST.work, CAST.firewall);
    assert.deepEqual(view, { providers: [CAST.firewall], configured: true });
    const vifs = await vifsIn(CAST.firewall);
    assert.ok(
      vifs.includes(vifOf(after.xid)) && !vifs.includes(vifOf(before.xid)),
      `sys-firewall has ${vifs.join(' ')}`,
    );
    // The agent in sys-firewall configured the renamed vif: its address, and the host route to work.
    const routes = await s.ctx.probes.routes(CAST.firewall);
    assert.ok(routes.some((r) => r.dst === after.ip && r.dev === vifOf(after.xid)));
    assert.ok(!routes.some((r) => r.dev === vifOf(before.xid)));
    await reachesUpstream(CAST.work);
  });

  it('a qube given its own mac (while halted) starts with it on eth0 and gets its network', async () => {
    await s.sim.qnet.must(['shutdown', CAST.personal]);
    await awaitHotplug(s.ctx, CAST.personal, null);
    await s.sim.qnet.must(['prefs', CAST.personal, 'mac', CUSTOM_MAC.toUpperCase()]);
    const listed = await s.sim.qnet.must(['prefs', CAST.personal]);
    assert.match(listed, new RegExp(`^mac +- +${CUSTOM_MAC}$`, 'm'), 'stored lowercase, shown as set on the qube');
    await s.sim.qnet.must(['start', CAST.personal]);
    const view = await awaitHotplug(s.ctx, CAST.personal, CAST.firewall);
    assert.deepEqual(view, { providers: [CAST.firewall], configured: true });
    const eth0 = await s.ctx.probes.addresses(CAST.personal, GUEST_DEVICE);
    assert.equal(eth0.mac, CUSTOM_MAC);
    assert.deepEqual(eth0.v4, [`${(await prefsOf(s.ctx, CAST.personal)).ip}/32`]);
    await reachesUpstream(CAST.personal);
    // Its NIC keeps the mac it started with: changing it now is refused, not left to break the link.
    const r = await s.sim.qnet.run(['prefs', CAST.personal, 'mac', '00:16:3e:00:00:01']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /is running: its interface keeps the MAC it started with/);
  });
});

import assert from 'node:assert/strict';
import { VIRTUAL_DNS } from '../../services/net-config';
import { configurationSection } from '../../sim/demo/sections/configuration';
import { dnsSection } from '../../sim/demo/sections/dns';
import { policySection } from '../../sim/demo/sections/policy';
import { GUEST_DEVICE } from '../../sim/planners/plan-sim';
import { DNS_RECORDS, UPSTREAM } from '../../sim/planners/upstream-plan';
import { assertAllPass, useSimulation } from './sim-fixture';

describe('e2e: simulated Qubes, as booted', function () {
  this.timeout(60_000);
  const s = useSimulation();

  it('each qube holds in its kernel what qnet prefs says (demo: configuration)', async () => {
    // 4 guests + the uplink + 4 client vifs on the two providers
    assertAllPass(await configurationSection.run(s.ctx), 9);
  });

  it('every app qube reaches the upstream with real packets', async () => {
    for (const q of ['work', 'personal', 'disp1234']) {
      const r = await s.ctx.probes.tcp(q, UPSTREAM.services[0], UPSTREAM.echoPorts[0]);
      assert.ok(r.ok, `${q}: ${r.error}`);
      // NAT at every hop: the upstream sees only sys-net's uplink address
      const seen = s.ctx.probes.echoSightings(r.token);
      assert.equal(seen.length, 1);
      assert.match(seen[0].from, new RegExp(`^${UPSTREAM.uplinkIp.replace(/\./g, '\\.')}:`));
    }
  });

  it('a disposable is addressed from 10.138.* by its dispid', async () => {
    const eth0 = await s.ctx.probes.addresses('disp1234', GUEST_DEVICE);
    assert.deepEqual(eth0.v4, ['10.138.4.218/32']);
  });

  it('DNS1 and DNS2 are answered by the upstream dnsmasq through both hops (demo: dns)', async () => {
    assertAllPass(await dnsSection.run(s.ctx), 7);
  });

  it('no DNS server listens in a netvm: DNS to sys-firewall itself goes unanswered', async () => {
    const firewallIp = (await s.ctx.sim.qnet.json<{ ip: string }>(['prefs', 'sys-firewall'])).ip;
    const r = await s.ctx.probes.dns('work', firewallIp, DNS_RECORDS.name);
    assert.equal(r.ok, false);
    const viaDns1 = await s.ctx.probes.dns('work', VIRTUAL_DNS[0], DNS_RECORDS.name);
    assert.ok(viaDns1.ok);
  });

  it('a compromised qube cannot call services on other qubes (demo: policy)', async () => {
    assertAllPass(await policySection.run(s.ctx), 4);
  });
});

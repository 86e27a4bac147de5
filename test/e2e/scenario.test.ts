import assert from 'node:assert/strict';
import { CAST } from '../../sim/demo/cast';
import { checkFlow, FIREWALL_FLOWS, WORK_RULES } from '../../sim/demo/sections/firewall';
import { ipv6Section } from '../../sim/demo/sections/ipv6';
import { moveNetvmSection } from '../../sim/demo/sections/move-netvm';
import { spoofSection } from '../../sim/demo/sections/spoof';
import { upstreamDnsSection } from '../../sim/demo/sections/upstream-dns';
import { UPSTREAM } from '../../sim/planners/upstream-plan';
import { assertAllPass, useSimulation } from './sim-fixture';

// The demo's changing sections, in the demo's order: each builds on the state the one before left.
describe('e2e: the demo scenario, live changes', function () {
  this.timeout(60_000);
  const s = useSimulation();

  // Flat on purpose: mocha runs a suite's own tests before its child suites, and the order matters here.
  it('qnet firewall work set: the rules are accepted', async () => {
    const before = await s.ctx.probes.tcp(CAST.work, UPSTREAM.services[1], UPSTREAM.echoPorts[0]);
    assert.ok(before.ok, `work is open before its rules: ${before.error}`);
    await s.sim.qnet.must(['firewall', CAST.work, 'set'], `${WORK_RULES}\n`);
  });

  for (const flow of FIREWALL_FLOWS) {
    it(`firewall: ${flow.qube} ${flow.proto} ${flow.host}:${flow.port} is ${flow.allowed ? 'allowed' : 'refused'}`, async () => {
      const line = await checkFlow(s.ctx, flow);
      assert.ok(line.pass, line.evidence);
      // A refused TCP connection is rejected (admin-prohibited), not left to time out.
      if (!flow.allowed && flow.proto === 'tcp') assert.notEqual(line.probe.error, 'TIMEOUT');
    });
  }

  it('firewall: reset opens work again, live', async () => {
    await s.sim.qnet.must(['firewall', CAST.work, 'reset']);
    const r = await s.ctx.probes.tcp(CAST.work, UPSTREAM.services[1], UPSTREAM.echoPorts[0]);
    assert.ok(r.ok, r.error);
  });

  it('ipv6 on sys-net reaches work and the disposable live, not personal (demo: ipv6)', async () => {
    assertAllPass(await ipv6Section.run(s.ctx), 4);
  });

  it('spoofed sources are dropped at the provider (demo: spoof)', async () => {
    assertAllPass(await spoofSection.run(s.ctx), 3);
  });

  it("sys-net's upstream resolver changes and app qubes keep resolving, untouched (demo: upstream-dns)", async () => {
    assertAllPass(await upstreamDnsSection.run(s.ctx), 5);
  });

  it('work moves to sys-net live and keeps working (demo: move)', async () => {
    assertAllPass(await moveNetvmSection.run(s.ctx), 5);
  });
});

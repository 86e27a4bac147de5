import assert from 'node:assert/strict';
import { VIRTUAL_DNS } from '../../services/net-config';
import { CAST } from '../../sim/demo/cast';
import { vpnSection } from '../../sim/demo/sections/vpn';
import { DNS_RECORDS, UPSTREAM } from '../../sim/planners/upstream-plan';
import { VPN } from '../../sim/planners/vpn-plan';
import { restartTargetOf } from '../../sim/sim-targets';
import { assertAllPass, useSimulation } from './sim-fixture';

// sys-vpn's VPN client (VXLAN tunnel through sys-firewall and sys-net, its own routes, its DNS override).
describe('e2e: a VPN qube behind sys-firewall', function () {
  this.timeout(120_000);
  const s = useSimulation();

  it('the tunnel really crosses the netvm chain: sys-net NATs its UDP flow to the VPN server', async () => {
    const tcp = await s.ctx.probes.tcp(CAST.vpnApp, UPSTREAM.services[0], UPSTREAM.echoPorts[0]);
    assert.ok(tcp.ok, tcp.error);
    const flows = await s.sim.execIn(CAST.net, 'conntrack', ['-L', '-p', 'udp', '--dport', String(VPN.port)]);
    assert.match(flows.stdout, new RegExp(`dst=${VPN.serverEndpoint.replace(/\./g, '\\.')} .*dport=${VPN.port}`));
    // The inner packets never show in sys-net: it only forwards the tunnel.
    const inner = await s.sim.execIn(CAST.net, 'conntrack', ['-L', '-s', VPN.clientTunnelIp]);
    assert.doesNotMatch(inner.stdout, /src=203\.0\.113\.130 /);
  });

  it("routes, NAT and DNS hold through qnet push, a qnetd restart and an agent restart (the demo's section)", async () => {
    assertAllPass(await vpnSection.run(s.ctx), 14);
  });

  it("an agent crash in sys-vpn keeps the override: after the restart DNS still goes to the VPN's server", async () => {
    await s.sim.killAgent(CAST.vpn);
    await s.sim.restartAgent(CAST.vpn);
    await s.sim.qnet.must(['push', CAST.vpn]);
    const dns = await s.ctx.probes.dns(CAST.vpnApp, VIRTUAL_DNS[1], DNS_RECORDS.markerName);
    assert.deepEqual(dns.addresses, [VPN.dnsMarker], dns.error);
  });
  it("the VPN's DNS server crashed: sim status names the restart that brings it back, and it does", async () => {
    await s.sim.procs.kill('dnsmasq-vpn');
    assert.deepEqual(s.sim.health().dead, ['dnsmasq-vpn']);
    await s.sim.restart(restartTargetOf('dnsmasq-vpn'));
    assert.equal(s.sim.health().state, 'up', `dead: ${s.sim.health().dead.join(', ')}`);
    const dns = await s.ctx.probes.dns(CAST.vpnApp, VIRTUAL_DNS[0], DNS_RECORDS.markerName);
    assert.deepEqual(dns.addresses, [VPN.dnsMarker], dns.error);
  });
});

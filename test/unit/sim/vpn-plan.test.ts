import assert from 'node:assert/strict';
import { appQubes } from '../../../sim/demo/check-line';
import { UPSTREAM } from '../../../sim/planners/upstream-plan';
import { planVpnClient, planVpnDnsmasqArgs, planVpnServer, VPN } from '../../../sim/planners/vpn-plan';
import { DEFAULT_TOPOLOGY, parseTopology } from '../../../sim/topology';

describe('sim VPN planner', () => {
  it("the client reaches the server through its netvm and sends everything else into the tunnel, beside qnet's default", () => {
    const plan = planVpnClient('10.137.0.3', 'eth0').map((a) => a.join(' '));
    assert.ok(plan.includes(`route add ${VPN.serverEndpoint}/32 via 10.137.0.3 dev eth0 onlink`));
    assert.ok(plan.includes(`route add 0.0.0.0/1 via ${VPN.serverTunnelIp} dev ${VPN.device}`));
    assert.ok(plan.includes(`route add 128.0.0.0/1 via ${VPN.serverTunnelIp} dev ${VPN.device}`));
    assert.ok(!plan.some((l) => / default /.test(` ${l} `)), "qnet's default route is left alone");
    assert.match(plan[0], /type vxlan .*remote 203\.0\.113\.1 dstport 4789 srcport 4789 4790/);
  });

  it('the server answers the address the upstream sees (sys-net after NAT), with one fixed port both ways', () => {
    const link = planVpnServer()
      .find((a) => a.includes('vxlan'))!
      .join(' ');
    assert.match(
      link,
      new RegExp(`local ${VPN.serverEndpoint} remote ${UPSTREAM.uplinkIp} dstport 4789 srcport 4789 4790`),
    );
  });

  it("the VPN's DNS listens only inside the tunnel and answers its own marker", () => {
    const args = planVpnDnsmasqArgs({ pid: '/p', log: '/l' }, { name: 'example.org', a: '198.51.100.10' });
    assert.ok(args.includes(`--listen-address=${VPN.serverTunnelIp}`));
    assert.ok(args.includes(`--host-record=resolver.test,${VPN.dnsMarker}`));
  });

  it('a VPN qube must provide network and have a netvm; only one per topology', () => {
    const base = { name: 'sys-net', qid: 2, netvm: null, providesNetwork: true, uplink: true };
    assert.throws(() => parseTopology({ qubes: [{ ...base, vpn: true }] }), /VPN qube/);
    assert.throws(
      () =>
        parseTopology({
          qubes: [
            base,
            { name: 'v1', qid: 3, netvm: 'sys-net', providesNetwork: true, vpn: true },
            { name: 'v2', qid: 4, netvm: 'sys-net', providesNetwork: true, vpn: true },
          ],
        }),
      /at most one qube runs the VPN/,
    );
  });

  it("the demo's app-qube sections leave the VPN's clients to the vpn section", () => {
    assert.ok(!appQubes(DEFAULT_TOPOLOGY).some((q) => q.name === 'vpn-app'));
    assert.ok(appQubes(DEFAULT_TOPOLOGY).some((q) => q.name === 'work'));
  });
});

import { netnsOf } from './planners/plan-sim';
import { planVpnClient, VPN } from './planners/vpn-plan';
import type { RunResult } from './qnet-cli';
import { SimStepError } from './sim-errors';
import type { SimKernel } from './sim-kernel';

/**
 * What a VPN client does in its qube once the qube's network is up: finds
 * the way out qnet gave it (the default route), builds its tunnel and routes,
 * and points DNS1/DNS2 at the VPN's DNS server with the agent's local
 * override (as OpenVPN's or NetworkManager's up-script would), so nothing
 * qnet does later sends DNS around the tunnel.
 */
export async function connectVpnClient(
  kernel: SimKernel,
  agent: (qube: string, args: readonly string[]) => Promise<RunResult>,
  qube: string,
): Promise<void> {
  const ns = netnsOf(qube);
  const [def] = JSON.parse(await kernel.ip(ns, ['-4', '-j', 'route', 'show', 'default'])) as {
    gateway?: string;
    dev?: string;
  }[];
  if (!def?.gateway || !def.dev)
    throw new SimStepError(`VPN client in ${qube}`, 'no default route to reach the server');
  for (const args of planVpnClient(def.gateway, def.dev)) await kernel.ip(ns, args);
  const r = await agent(qube, ['dns-update', '--upstream', VPN.serverTunnelIp]);
  if (r.status !== 0) throw new SimStepError(`qnet-agent dns-update in ${qube}`, r.stderr || `exit ${r.status}`);
}

import type { SimTopology } from './topology';

/** The simulation's own daemons, which `qnet sim restart|kill` take by name besides a qube. */
export const SIM_DAEMONS = ['qnetd', 'router', 'hotplug', 'upstream'] as const;
export type SimDaemon = (typeof SIM_DAEMONS)[number];

/** The upstream "internet": two resolvers, the echo services and the VPN's DNS (when a VPN qube runs), restarted together. */
export const UPSTREAM_PROCESSES = ['dnsmasq-0', 'dnsmasq-1', 'echo', 'dnsmasq-vpn'] as const;

/** What `qnet sim restart|kill NAME` acts on, and the pid-file names of its processes. */
export type SimTarget =
  | { readonly kind: 'agent'; readonly qube: string; readonly processes: readonly string[] }
  | { readonly kind: SimDaemon; readonly processes: readonly string[] };

export const agentProcess = (qube: string): string => `agent-${qube}`;

const isDaemon = (name: string): name is SimDaemon => (SIM_DAEMONS as readonly string[]).includes(name);

/**
 * A daemon's name wins over a qube of the same name (a topology may not
 * shadow `qnetd`); undefined when NAME is neither, dom0 included (it runs
 * no agent: its daemon is qnetd).
 */
export function resolveSimTarget(topology: SimTopology, name: string): SimTarget | undefined {
  if (isDaemon(name)) return { kind: name, processes: name === 'upstream' ? [...UPSTREAM_PROCESSES] : [name] };
  if (!topology.qubes.some((q) => q.name === name)) return undefined;
  return { kind: 'agent', qube: name, processes: [agentProcess(name)] };
}

/** Every name `resolveSimTarget` accepts, for error messages. */
export function simTargetNames(topology: SimTopology): string[] {
  return [...SIM_DAEMONS, ...topology.qubes.map((q) => q.name)];
}

/** The `qnet sim restart` argument that brings a dead process back. */
export function restartTargetOf(process: string): string {
  if (process.startsWith('agent-')) return process.slice('agent-'.length);
  if ((UPSTREAM_PROCESSES as readonly string[]).includes(process)) return 'upstream';
  return process;
}

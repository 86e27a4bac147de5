import type { SimQubeSpec, SimTopology } from '../topology';

/** Qubes 4's MACs: the guest's own interface (its `mac` at the default), and the netvm's end of every client link. */
export const GUEST_MAC = '00:16:3e:5e:6c:00';
export const VIF_MAC = 'fe:ff:ff:ff:ff:ff';
export const GUEST_DEVICE = 'eth0';

/** Every namespace the simulator makes carries this prefix, so leftovers are found by name. */
export const NETNS_PREFIX = 'qsim-';
export const UPSTREAM_NETNS = `${NETNS_PREFIX}upstream`;

export const netnsOf = (qube: string): string => `${NETNS_PREFIX}${qube}`;

/** Xen names the provider's end of a link after the client's domain id (its `xid`, new at every start). */
export const vifOf = (xid: number): string => `vif${xid}.0`;

/** One Xen-style link: the provider's `vif<xid>.0` and the client's `eth0`. */
export interface SimLink {
  readonly provider: string;
  readonly client: string;
  readonly vif: string;
  /** The client's eth0 carries the qube's `mac`, as Xen builds the NIC from it. */
  readonly clientMac: string;
}

/** What Xen attaches for a qube that just started: its NIC, named and addressed from its xid and mac. */
export function linkOf(client: { name: string; xid: number; mac: string }, netvm: string): SimLink {
  return { provider: netvm, client: client.name, vif: vifOf(client.xid), clientMac: client.mac };
}

/** Providers before their clients, as a qube cannot boot before its netvm. Ties keep the file's order. */
export function planStartOrder(topology: SimTopology): SimQubeSpec[] {
  const done = new Set<string>();
  const order: SimQubeSpec[] = [];
  while (order.length < topology.qubes.length) {
    const next = topology.qubes.find((q) => !done.has(q.name) && (q.netvm === null || done.has(q.netvm)));
    if (!next) throw new RangeError('the netvm chain has a cycle');
    done.add(next.name);
    order.push(next);
  }
  return order;
}

/** A fixed fake uuid per qid, so `uuid:` policy tokens are stable between runs. */
export const uuidOf = (qid: number): string => `5a5a0000-0000-4000-8000-${qid.toString(16).padStart(12, '0')}`;

/** The `internal.GetSystemInfo` document the policy engine evaluates against. */
export function planSystemInfo(topology: SimTopology): { domains: Record<string, Record<string, unknown>> } {
  const domains: Record<string, Record<string, unknown>> = {
    [topology.adminVm]: { type: 'AdminVM', tags: [], power_state: 'Running', uuid: uuidOf(0) },
  };
  for (const q of topology.qubes) {
    domains[q.name] = {
      type: q.class,
      tags: [],
      default_dispvm: null,
      template_for_dispvms: false,
      power_state: 'Running',
      uuid: uuidOf(q.qid),
      icon: '',
      guivm: null,
    };
  }
  return { domains };
}

/** The argv of `qnet create` for one qube of the topology. */
export function planCreateArgs(q: SimQubeSpec): string[] {
  return [
    'create',
    q.name,
    '--class',
    q.class,
    '--netvm',
    q.netvm ?? 'none',
    '--qid',
    String(q.qid),
    ...(q.dispid !== undefined ? ['--dispid', String(q.dispid)] : []),
    ...(q.providesNetwork ? ['--provides-network'] : []),
  ];
}

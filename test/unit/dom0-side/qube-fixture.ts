import type { Qube } from '../../../dom0-side/inventory/qube';

/**
 * A running AppVM with no netvm; tests override what they care about. A
 * running one has Xen id = qid unless `extra` says otherwise (as if started
 * in qid order), a halted one none.
 */
export function qube(name: string, qid: number, extra: Partial<Qube> = {}): Qube {
  const power = extra.power ?? 'running';
  return {
    name,
    qid,
    klass: 'AppVM',
    netvm: null,
    providesNetwork: false,
    features: {},
    tags: [],
    power,
    ...(power === 'running' ? { xid: qid } : {}),
    ...extra,
  };
}

/** sys-net → sys-firewall → {work, personal}, the shape of a default Qubes install. */
export function defaultInstall(): Qube[] {
  return [
    qube('sys-net', 2, { providesNetwork: true }),
    qube('sys-firewall', 3, { providesNetwork: true, netvm: 'sys-net' }),
    qube('work', 10, { netvm: 'sys-firewall' }),
    qube('personal', 11, { netvm: 'sys-firewall' }),
  ];
}

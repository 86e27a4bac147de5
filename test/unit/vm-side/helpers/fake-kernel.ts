// A small model of the kernel for planner tests: applies plans to plain
// state the way the kernel would, so "plan, apply, re-plan" can assert that
// the second plan is empty without root.
import type { IpOp } from '../../../../vm-side/planners/ip-plan';
import type { LinkState, NetState, RouteState } from '../../../../vm-side/planners/net-state';
import type { NftCommand } from '../../../../vm-side/planners/nft-json';
import type { NftChainState, NftTableState } from '../../../../vm-side/planners/nft-state';
import type { ChainHook } from '../../../../vm-side/planners/nft-json';

type Json = Record<string, unknown>;

export function applyIpOps(state: NetState, ops: readonly IpOp[]): NetState {
  let links = state.links.map((l) => ({ ...l, addresses: [...l.addresses] }));
  let routes: RouteState[] = [...state.routes];
  let neighbours = [...state.neighbours];
  const link = (dev: string) => {
    const l = links.find((x) => x.name === dev);
    if (!l) throw new Error(`Cannot find device "${dev}"`);
    return l;
  };
  for (const op of ops) {
    const l = link(op.dev);
    switch (op.kind) {
      case 'addr-add':
        if (!l.addresses.includes(op.cidr)) l.addresses.push(op.cidr);
        break;
      case 'addr-del':
        l.addresses = l.addresses.filter((a) => a !== op.cidr);
        break;
      case 'link-up':
        Object.assign(l, { up: true });
        break;
      case 'link-mtu':
        Object.assign(l, { mtu: op.mtu });
        break;
      case 'link-group':
        Object.assign(l, { group: op.group });
        break;
      case 'neigh-permanent':
        neighbours = neighbours.filter((n) => !(n.dev === op.dev && n.ip === op.ip));
        neighbours.push({ ip: op.ip, dev: op.dev, mac: op.mac, permanent: true });
        break;
      case 'neigh-del':
        neighbours = neighbours.filter((n) => !(n.dev === op.dev && n.ip === op.ip));
        break;
      case 'route-replace':
        routes = routes.filter((r) => r.dst !== op.dst);
        routes.push({
          dst: op.dst,
          dev: op.dev,
          ...(op.via ? { via: op.via } : {}),
          onlink: Boolean(op.onlink),
          kernel: false,
        });
        break;
      case 'route-del':
        routes = routes.filter((r) => !(r.dst === op.dst && r.dev === op.dev));
        break;
    }
  }
  links = links.map((l) => ({ ...l }));
  return { links: links as LinkState[], routes, neighbours };
}

interface MutableTable {
  chains: Map<string, { hook?: ChainHook; ruleComments: string[] }>;
  sets: Map<string, string[]>;
}

const key = (elem: unknown) =>
  typeof elem === 'string' ? elem : ((elem as { concat: string[] }).concat ?? []).join(' . ');

/** Applies nft JSON commands to per-table state, keyed `family table`. */
export function applyNft(
  tables: ReadonlyMap<string, NftTableState>,
  cmds: readonly NftCommand[],
): Map<string, NftTableState> {
  const out = new Map<string, MutableTable>();
  for (const [k, t] of tables) {
    out.set(k, {
      chains: new Map([...t.chains].map(([n, c]) => [n, { ...c, ruleComments: [...c.ruleComments] }])),
      sets: new Map([...t.sets].map(([n, s]) => [n, [...s]])),
    });
  }
  const table = (o: Json) => {
    const t = out.get(`${String(o.family)} ${String(o.table ?? o.name)}`);
    if (!t) throw new Error(`no table ${String(o.family)} ${String(o.table)}`);
    return t;
  };
  for (const cmd of cmds) {
    const [verb, body] = Object.entries(cmd)[0] as [string, Json];
    const [what, o] = Object.entries(body)[0] as [string, Json];
    if (what === 'table') {
      if (verb === 'add' && !out.has(`${String(o.family)} ${String(o.name)}`)) {
        out.set(`${String(o.family)} ${String(o.name)}`, { chains: new Map(), sets: new Map() });
      }
      continue;
    }
    const t = table(o);
    const name = String(o.name ?? o.chain);
    if (what === 'chain') {
      const hook = o.hook ? ({ type: o.type, hook: o.hook, prio: o.prio, policy: o.policy } as ChainHook) : undefined;
      if (verb === 'add' && !t.chains.has(name)) t.chains.set(name, { ...(hook ? { hook } : {}), ruleComments: [] });
      if (verb === 'flush') t.chains.get(name)!.ruleComments = [];
      if (verb === 'delete') t.chains.delete(name);
    } else if (what === 'rule') {
      t.chains.get(name)!.ruleComments.push(String(o.comment ?? ''));
    } else if (what === 'set') {
      if (!t.sets.has(name)) t.sets.set(name, []);
    } else if (what === 'element') {
      const elems = (o.elem as unknown[]).map(key);
      const cur = t.sets.get(name)!;
      t.sets.set(
        name,
        verb === 'add' ? [...cur, ...elems.filter((e) => !cur.includes(e))] : cur.filter((e) => !elems.includes(e)),
      );
    }
  }
  return out as unknown as Map<string, NftTableState>;
}

export function chainState(t: NftTableState | undefined, name: string): NftChainState | undefined {
  return t?.chains.get(name);
}

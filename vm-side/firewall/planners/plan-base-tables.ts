import type { NftCommand } from '../../planners/nft-json';
import type { Family } from './firewall-model';
import { CLIENTS_MAP, CLIENT_IFGROUP, FIREWALL_TABLE, FORWARD_CHAIN, mapKeyType } from './firewall-names';
import { addRule } from './render-nft-rule';

/**
 * The fixed part of one family's table: a forward chain whose policy is drop,
 * letting through established flows and anything that did not come from a
 * client vif, and sending each client address to its own chain through the
 * verdict map. A client address missing from the map falls to the policy:
 * drop. The forward chain is flushed and refilled in the same transaction, so
 * there is no instant without it; the table itself is never flushed.
 */
export function planBaseTables(family: Family): NftCommand[] {
  const table = { family, table: FIREWALL_TABLE };
  return [
    { add: { table: { family, name: FIREWALL_TABLE } } },
    {
      add: {
        chain: { ...table, name: FORWARD_CHAIN, type: 'filter', hook: 'forward', prio: 0, policy: 'drop' },
      },
    },
    { add: { map: { ...table, name: CLIENTS_MAP, type: mapKeyType(family), map: 'verdict' } } },
    { flush: { chain: { ...table, name: FORWARD_CHAIN } } },
    addRule(family, FIREWALL_TABLE, FORWARD_CHAIN, [
      { match: { op: 'in', left: { ct: { key: 'state' } }, right: ['established', 'related'] } },
      { accept: null },
    ]),
    addRule(family, FIREWALL_TABLE, FORWARD_CHAIN, [
      { match: { op: '!=', left: { meta: { key: 'iifgroup' } }, right: CLIENT_IFGROUP } },
      { accept: null },
    ]),
    addRule(family, FIREWALL_TABLE, FORWARD_CHAIN, [
      { vmap: { key: { payload: { protocol: family, field: 'saddr' } }, data: `@${CLIENTS_MAP}` } },
    ]),
  ];
}

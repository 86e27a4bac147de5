import {
  PRIORITY,
  accept,
  counter,
  ct,
  drop,
  goto,
  jump,
  match,
  meta,
  payload,
  saddr,
  type ChainSpec,
  type NftExpr,
  type NftFamily,
} from './nft-json';

export const QUBES_TABLE = 'qubes';
/** Interface groups: the provider's uplink, and the vifs of its clients. */
export const UPLINK_IFGROUP = 1;
export const CLIENT_IFGROUP = 2;

/** Reserved for the user: created when missing, never flushed, never deleted. */
export const USER_CHAINS = ['custom-input', 'custom-forward'] as const;

const fromClient = match(meta('iifgroup'), CLIENT_IFGROUP);
const established = match(ct('state'), ['established', 'related'], 'in');
const invalid = match(ct('state'), 'invalid', 'in');

function inputRules(family: NftFamily): NftExpr[][] {
  const icmp = family === 'ip' ? 'icmp' : 'ipv6-icmp';
  const rules: NftExpr[][] = [[jump('custom-input')], [invalid, counter, drop]];
  if (family === 'ip') {
    // DHCP requests from clients: no DHCP server answers in a netvm, and none should be reachable.
    rules.push([fromClient, match(payload('udp', 'dport'), 68), counter, drop]);
  }
  rules.push([established, accept], [match(meta('l4proto'), icmp), accept], [match(meta('iif'), 'lo'), accept]);
  if (family === 'ip6') {
    // DHCPv6 replies to the provider's own uplink client, link-local only.
    rules.push([
      match(payload('ip6', 'saddr'), { prefix: { addr: 'fe80::', len: 64 } }),
      match(payload('ip6', 'daddr'), { prefix: { addr: 'fe80::', len: 64 } }),
      match(payload('udp', 'dport'), 546),
      accept,
    ]);
  }
  const reject =
    family === 'ip'
      ? { reject: { type: 'icmp', expr: 'host-prohibited' } }
      : { reject: { type: 'icmpv6', expr: 'admin-prohibited' } };
  rules.push([fromClient, counter, reject], [counter]);
  return rules;
}

/**
 * The base ruleset of a network-providing qube (DESIGN.md section 3), per
 * family. The DNS chain is not here: qubes.DnsUpdate owns its content.
 */
export function baseChains(family: NftFamily): ChainSpec[] {
  return [
    {
      name: 'antispoof',
      rules: [
        [match({ concat: [meta('iifname'), saddr(family)] }, '@allowed'), accept],
        [counter, drop],
      ],
    },
    {
      // Raw priority: spoofed packets die before conntrack ever records them.
      name: 'prerouting',
      hook: { type: 'filter', hook: 'prerouting', prio: PRIORITY.raw, policy: 'accept' },
      rules: [
        [fromClient, goto('antispoof')],
        [match(saddr(family), '@downstream'), counter, drop],
      ],
    },
    {
      // NAT at every hop: upstream only ever sees this qube's own address.
      name: 'postrouting',
      hook: { type: 'nat', hook: 'postrouting', prio: PRIORITY.srcnat, policy: 'accept' },
      rules: [[match(meta('oifgroup'), UPLINK_IFGROUP), { masquerade: null }]],
    },
    {
      name: 'input',
      hook: { type: 'filter', hook: 'input', prio: PRIORITY.filter, policy: 'drop' },
      rules: inputRules(family),
    },
    {
      name: 'forward',
      hook: { type: 'filter', hook: 'forward', prio: PRIORITY.filter, policy: 'accept' },
      rules: [
        [jump('custom-forward')],
        [invalid, counter, drop],
        [established, accept],
        [match(meta('iifgroup'), CLIENT_IFGROUP, '!='), counter, drop],
        // No client-to-client traffic: a new connection never goes into a client.
        [match(meta('oifgroup'), CLIENT_IFGROUP), counter, drop],
      ],
    },
  ];
}

export const SET_TYPES: Record<NftFamily, { allowed: string[]; downstream: string }> = {
  ip: { allowed: ['ifname', 'ipv4_addr'], downstream: 'ipv4_addr' },
  ip6: { allowed: ['ifname', 'ipv6_addr'], downstream: 'ipv6_addr' },
};

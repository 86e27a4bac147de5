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
/** Interface group of the vifs of a provider's clients: the only group the ruleset singles out. */
export const CLIENT_IFGROUP = 2;

/** Reserved for the user: created when missing, never flushed, never deleted. */
export const USER_CHAINS = ['custom-input', 'custom-forward'] as const;

const fromClient = match(meta('iifgroup'), CLIENT_IFGROUP);
const established = match(ct('state'), ['established', 'related'], 'in');
const invalid = match(ct('state'), 'invalid', 'in');

const rejectWith = (family: NftFamily, code: string): NftExpr => ({
  reject: { type: family === 'ip' ? 'icmp' : 'icmpv6', expr: code },
});

/**
 * The input filter of every qube, as upstream's qubes-ipv4.nft/qubes-ipv6.nft:
 * nothing new reaches a qube's own services unless the user opens it in
 * `custom-input`. IPv4: ICMP only from clients. IPv6: everything from a client
 * goes through the ICMPv6 chain (no router advertisements or redirects from a
 * client); ICMPv6 from the uplink is accepted (neighbour discovery needs it).
 */
function inputRules(family: NftFamily): NftExpr[][] {
  const rules: NftExpr[][] = [[jump('custom-input')], [invalid, counter, drop]];
  if (family === 'ip') {
    // DHCP requests from clients: no DHCP server answers in a netvm, and none should be reachable.
    rules.push([fromClient, match(meta('l4proto'), 'udp'), match(payload('udp', 'dport'), 68), counter, drop]);
    rules.push([established, accept], [fromClient, match(meta('l4proto'), 'icmp'), accept]);
    rules.push([match(meta('iif'), 'lo'), accept]);
    rules.push([fromClient, counter, rejectWith(family, 'host-prohibited')], [counter]);
    return rules;
  }
  rules.push([established, accept], [fromClient, goto(ICMPV6_CHAIN)], [match(meta('iif'), 'lo'), accept]);
  // DHCPv6 replies to the qube's own uplink client, link-local only.
  rules.push([
    match(meta('l4proto'), 'udp'),
    match(payload('ip6', 'saddr'), { prefix: { addr: 'fe80::', len: 64 } }),
    match(payload('ip6', 'daddr'), { prefix: { addr: 'fe80::', len: 64 } }),
    match(payload('udp', 'dport'), 546),
    accept,
  ]);
  rules.push([match(meta('l4proto'), 'ipv6-icmp'), accept], [counter]);
  return rules;
}

export const ICMPV6_CHAIN = '_icmpv6';

/** Where IPv6 input from a client ends: ICMPv6 only, and never a router advertisement or redirect. */
const icmpv6Chain: ChainSpec = {
  name: ICMPV6_CHAIN,
  rules: [
    [match(meta('l4proto'), 'ipv6-icmp', '!='), counter, rejectWith('ip6', 'admin-prohibited')],
    [match(payload('icmpv6', 'type'), { set: ['nd-router-advert', 'nd-redirect'] }), counter, drop],
    [accept],
  ],
};

/**
 * The base ruleset of every qube (DESIGN.md section 3), per family: in a
 * qube without clients the antispoof sets are empty and the client rules
 * match nothing, but the input filter and NAT are the same everywhere. The
 * DNS chain is not here: qubes.DnsUpdate owns its content.
 */
export function baseChains(family: NftFamily): ChainSpec[] {
  return [
    ...(family === 'ip6' ? [icmpv6Chain] : []),
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
      // NAT at every hop, whatever the uplink is (eth0, a VPN's tun or wg): only what goes to a client or stays local is not masqueraded.
      name: 'postrouting',
      hook: { type: 'nat', hook: 'postrouting', prio: PRIORITY.srcnat, policy: 'accept' },
      rules: [
        [match(meta('oifgroup'), CLIENT_IFGROUP), accept],
        [match(meta('oif'), 'lo'), accept],
        [{ masquerade: null }],
      ],
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
        // Forwarding between two non-client interfaces is the user's business (custom-forward), as upstream.
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

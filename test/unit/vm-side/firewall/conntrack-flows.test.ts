import assert from 'node:assert/strict';
import { cidrContains, flowAllowed, type Flow } from '../../../../vm-side/firewall/flow-verdict';
import { parseConntrackFlows } from '../../../../vm-side/firewall/planners/parse-conntrack-flows';
import {
  planConntrackDeletions,
  toConntrackDeleteArgs,
} from '../../../../vm-side/firewall/planners/plan-conntrack-deletions';

const LISTING = [
  'ipv4     2 tcp      6 431999 ESTABLISHED src=10.137.0.5 dst=198.51.100.1 sport=40000 dport=8080 src=198.51.100.1 dst=192.0.2.2 sport=8080 dport=40000 [ASSURED] mark=0 use=1',
  'ipv4     2 tcp      6 431999 ESTABLISHED src=10.137.0.5 dst=198.51.100.1 sport=40001 dport=80 src=198.51.100.1 dst=192.0.2.2 sport=80 dport=40001 [ASSURED] mark=0 use=1',
  'ipv4     2 udp      17 29 src=10.137.0.5 dst=10.139.1.1 sport=5353 dport=53 src=192.0.2.53 dst=192.0.2.2 sport=53 dport=5353 mark=0 use=1',
  'ipv4     2 icmp     1 29 src=10.137.0.6 dst=198.51.100.1 type=8 code=0 id=7 src=198.51.100.1 dst=192.0.2.2 type=0 code=0 id=7 mark=0 use=1',
  'ipv6     10 udp      17 29 src=fd09:24ef:4179::a89:5 dst=2001:db8::1 sport=5000 dport=123 [UNREPLIED] src=2001:db8::1 dst=fd09:24ef:4179::a89:5 sport=123 dport=5000 mark=0 use=1',
  'conntrack v1.4.7 (conntrack-tools): 5 flow entries have been shown.',
  'ipv4 2 tcp 6 1 src=garbage',
].join('\n');

const tcp = (dport: number): Flow => ({
  family: 'ip',
  proto: 'tcp',
  src: '10.137.0.5',
  dst: '198.51.100.1',
  replySrc: '198.51.100.1',
  sport: 40000,
  dport,
});

describe('parseConntrackFlows', () => {
  it('reads the original tuple, the real destination from the reply, and numeric ports', () => {
    const flows = parseConntrackFlows(LISTING);
    assert.equal(flows.length, 5);
    assert.deepEqual(flows[0], tcp(8080));
    assert.deepEqual(flows[2], {
      family: 'ip',
      proto: 'udp',
      src: '10.137.0.5',
      dst: '10.139.1.1',
      replySrc: '192.0.2.53',
      sport: 5353,
      dport: 53,
    });
    assert.deepEqual(flows[3], {
      family: 'ip',
      proto: 'icmp',
      src: '10.137.0.6',
      dst: '198.51.100.1',
      replySrc: '198.51.100.1',
      icmpType: 8,
      icmpCode: 0,
      icmpId: 7,
    });
    assert.equal(flows[4].family, 'ip6');
    assert.equal(flows[4].src, 'fd09:24ef:4179::a89:5');
  });
});

describe('flowAllowed', () => {
  it('compares ports as numbers (80 is not in 8000-8090 though "80" prefixes "8080")', () => {
    const rules = [{ verdict: 'accept' as const, protos: ['tcp' as const], dports: { from: 8000, to: 8090 } }];
    assert.equal(flowAllowed(rules, tcp(8080)), true);
    assert.equal(flowAllowed(rules, tcp(80)), false);
    assert.equal(flowAllowed(rules, tcp(800)), false);
  });

  it('lets the first matching rule decide and drops what no rule matches', () => {
    const rules = [
      {
        verdict: 'reject' as const,
        daddr: ['198.51.100.0/24'],
        protos: ['tcp' as const],
        dports: { from: 80, to: 80 },
      },
      { verdict: 'accept' as const, daddr: ['198.51.100.0/24'] },
    ];
    assert.equal(flowAllowed(rules, tcp(80)), false);
    assert.equal(flowAllowed(rules, tcp(443)), true);
    assert.equal(flowAllowed(rules, { ...tcp(443), replySrc: '203.0.113.1', dst: '203.0.113.1' }), false);
  });

  it('judges DNS rules by the destination before DNAT and others by the real one', () => {
    const [dnsFlow] = parseConntrackFlows(LISTING.split('\n')[2]);
    const dnsRule = {
      verdict: 'accept' as const,
      daddr: ['10.139.1.1'],
      originalDaddr: true,
      dports: { from: 53, to: 53 },
    };
    assert.equal(flowAllowed([dnsRule], dnsFlow), true);
    assert.equal(flowAllowed([{ verdict: 'accept', daddr: ['10.139.1.1'] }], dnsFlow), false);
    assert.equal(flowAllowed([{ verdict: 'accept', daddr: ['192.0.2.53/32'] }], dnsFlow), true);
  });

  it('matches icmp types and IPv6 networks', () => {
    const flows = parseConntrackFlows(LISTING);
    assert.equal(flowAllowed([{ verdict: 'accept', protos: ['icmp'], icmptype: 8 }], flows[3]), true);
    assert.equal(flowAllowed([{ verdict: 'accept', protos: ['icmp'], icmptype: 0 }], flows[3]), false);
    assert.equal(flowAllowed([{ verdict: 'accept', daddr: ['2001:db8::/32'] }], flows[4]), true);
    assert.equal(flowAllowed([{ verdict: 'accept', daddr: ['2001:db9::/32'] }], flows[4]), false);
  });
});

describe('cidrContains', () => {
  it('handles prefixes, bare addresses and mixed families', () => {
    assert.equal(cidrContains('10.0.0.0/8', '10.255.1.1'), true);
    assert.equal(cidrContains('10.0.0.0/8', '11.0.0.1'), false);
    assert.equal(cidrContains('192.0.2.1', '192.0.2.1'), true);
    assert.equal(cidrContains('0.0.0.0/0', '203.0.113.9'), true);
    assert.equal(cidrContains('2001:db8::/32', '10.0.0.1'), false);
    assert.equal(cidrContains('fd09:24ef:4179::/64', 'fd09:24ef:4179::a89:5'), true);
  });
});

describe('planConntrackDeletions', () => {
  it('deletes the swept client flows the new rules refuse, and every flow of a client that left', () => {
    const flows = parseConntrackFlows(LISTING);
    const doomed = planConntrackDeletions(flows, [
      {
        family: 'ip',
        source: '10.137.0.5',
        rules: [{ verdict: 'accept', protos: ['tcp'], dports: { from: 8080, to: 8080 } }],
      },
      { family: 'ip', source: '10.137.0.6', rules: 'all' },
    ]);
    assert.deepEqual(
      doomed.map((f) => `${f.src}>${f.dst}:${f.dport ?? f.icmpType}`),
      ['10.137.0.5>198.51.100.1:80', '10.137.0.5>10.139.1.1:53', '10.137.0.6>198.51.100.1:8'],
    );
  });

  it('selects one flow exactly by its original tuple', () => {
    assert.deepEqual(toConntrackDeleteArgs(tcp(80)), [
      '-D',
      '-f',
      'ipv4',
      '-p',
      'tcp',
      '-s',
      '10.137.0.5',
      '-d',
      '198.51.100.1',
      '--sport',
      '40000',
      '--dport',
      '80',
    ]);
    const [, , , icmp] = parseConntrackFlows(LISTING);
    assert.deepEqual(toConntrackDeleteArgs(icmp), [
      '-D',
      '-f',
      'ipv4',
      '-p',
      'icmp',
      '-s',
      '10.137.0.6',
      '-d',
      '198.51.100.1',
      '--icmp-type',
      '8',
      '--icmp-code',
      '0',
      '--icmp-id',
      '7',
    ]);
  });
});

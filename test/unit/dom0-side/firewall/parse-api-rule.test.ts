import assert from 'node:assert/strict';
import { FirewallRuleError } from '../../../../dom0-side/firewall/firewall-rule-error';
import { parseAdminRuleLine, parseApiRule } from '../../../../dom0-side/firewall/parse-api-rule';
import { parsePythonInt } from '../../../../dom0-side/firewall/python-int';
import { isRuleExpired, toApiLine } from '../../../../dom0-side/firewall/rule-model';

const normalize = (line: string) => toApiLine(parseApiRule(line));

function rejects(line: string, message: RegExp): void {
  assert.throws(
    () => parseApiRule(line),
    (err: unknown) => {
      assert.ok(err instanceof FirewallRuleError, `expected FirewallRuleError for ${JSON.stringify(line)}`);
      assert.match(err.message, message);
      assert.equal(err.code, 'BAD_REQUEST');
      return true;
    },
  );
}

describe('dom0-side/firewall parseApiRule (Admin API form)', () => {
  describe('normalization in api_rule order', () => {
    const cases: [string, string][] = [
      [
        'action=drop proto=tcp dstports=443 dst4=10.0.0.0/8 expire=2000000000 comment=x',
        'action=drop expire=2000000000 dst4=10.0.0.0/8 proto=tcp dstports=443-443 comment=x',
      ],
      [
        'action=accept specialtarget=dns dstports=53 proto=udp',
        'action=accept proto=udp specialtarget=dns dstports=53-53',
      ],
      ['action=accept', 'action=accept'],
      ['action=accept dsthost=1.2.3.4', 'action=accept dst4=1.2.3.4/32'],
      ['action=accept dsthost=2001:db8::1', 'action=accept dst6=2001:db8::1/128'],
      ['action=accept dsthost=example.org', 'action=accept dsthost=example.org'],
      ['action=accept proto=icmp icmptype=8', 'action=accept proto=icmp icmptype=8'],
      ['action=drop proto=udp dstports=1000-2000', 'action=drop proto=udp dstports=1000-2000'],
      ['action=accept comment=two words: here [x]', 'action=accept comment=two words: here [x]'],
    ];
    for (const [input, want] of cases) {
      it(`${input} -> ${want}`, () => assert.equal(normalize(input), want));
    }
    it('is idempotent: a normalized line parses back to itself', () => {
      for (const [, want] of cases) assert.equal(normalize(want), want);
    });
  });

  describe('action', () => {
    it('accepts accept and drop', () => {
      assert.equal(parseApiRule('action=accept').action, 'accept');
      assert.equal(parseApiRule('action=drop').action, 'drop');
    });
    it('refuses other values, including case variants and forward', () => {
      rejects('action=ACCEPT', /action: expected accept or drop/);
      rejects('action=forward', /action/);
      rejects('action=', /action/);
    });
    it('is required', () => rejects('proto=tcp', /missing action/));
  });

  describe('proto', () => {
    it('accepts tcp, udp and icmp', () => {
      for (const p of ['tcp', 'udp', 'icmp'] as const) assert.equal(parseApiRule(`action=accept proto=${p}`).proto, p);
    });
    it('refuses anything else', () => {
      rejects('action=accept proto=sctp', /proto/);
      rejects('action=accept proto=TCP', /proto/);
      rejects('action=accept proto=any', /proto/);
    });
  });

  describe('dsthost / dst4 / dst6 / dstname', () => {
    it('keeps a network as written and takes the family from the value, not the key', () => {
      assert.equal(normalize('action=accept dst4=10.1.0.0/16'), 'action=accept dst4=10.1.0.0/16');
      assert.equal(normalize('action=accept dst4=fd00::/8'), 'action=accept dst6=fd00::/8');
      assert.equal(normalize('action=accept dst6=192.168.0.1'), 'action=accept dst4=192.168.0.1/32');
      assert.equal(normalize('action=accept dstname=example.com'), 'action=accept dsthost=example.com');
      assert.equal(normalize('action=accept dst4=10.0.0.1/8'), 'action=accept dst4=10.0.0.1/8');
      assert.equal(normalize('action=accept dsthost=0.0.0.0/0'), 'action=accept dst4=0.0.0.0/0');
      assert.equal(normalize('action=accept dsthost=::ffff:1.2.3.4'), 'action=accept dst6=::ffff:1.2.3.4/128');
    });
    it('refuses a second destination under any of its names', () => {
      rejects('action=accept dst4=1.2.3.4 dst6=::1', /option "dsthost" already set/);
      rejects('action=accept dsthost=a.example dst4=1.2.3.4', /option "dsthost" already set/);
      rejects('action=accept dst4=1.2.3.4 dsthost=a.example', /option "dsthost" already set/);
      rejects('action=accept dstname=a.example dstname=b.example', /option "dsthost" already set/);
    });
    it('refuses bad prefixes', () => {
      rejects('action=accept dsthost=1.2.3.4/33', /IPv4 must be at most 32/);
      rejects('action=accept dsthost=::/129', /IPv6 must be at most 128/);
      rejects('action=accept dsthost=1.2.3.4/8/8', /too many/);
      // qubesd reads the prefix with isdigit(): no sign, no underscore, no blank.
      for (const bad of ['-1', '', 'x', '+8', '1_6', '\t8'])
        rejects(`action=accept dsthost=1.2.3.4/${bad}`, /bad prefix length/);
      assert.equal(normalize('action=accept dsthost=1.2.3.4/08'), 'action=accept dst4=1.2.3.4/08');
    });
    it('refuses a network whose address is not an address', () => {
      rejects('action=accept dsthost=example.com/24', /not an IP address/);
      rejects('action=accept dsthost=1.2.3/24', /not an IP address/);
      rejects('action=accept dsthost=01.2.3.4/24', /not an IP address/);
      rejects('action=accept dsthost=256.1.1.1/32', /not an IP address/);
    });
    it('refuses host names outside [a-z0-9._-]', () => {
      rejects('action=accept dsthost=Example.com', /lower-case host name/);
      rejects('action=accept dsthost=exa$mple.com', /lower-case host name/);
    });
    it('takes a dotted number that is no address as a host name, as Qubes does', () => {
      assert.equal(normalize('action=accept dsthost=1.2.3.256'), 'action=accept dsthost=1.2.3.256');
    });
  });

  describe('dstports', () => {
    it('always prints N-M', () => {
      assert.equal(normalize('action=accept proto=tcp dstports=0'), 'action=accept proto=tcp dstports=0-0');
      assert.equal(normalize('action=accept proto=tcp dstports=22-22'), 'action=accept proto=tcp dstports=22-22');
    });
    it("reads numbers as Python's int() does", () => {
      assert.equal(normalize('action=accept proto=tcp dstports=+443'), 'action=accept proto=tcp dstports=443-443');
      assert.equal(normalize('action=accept proto=tcp dstports=0443'), 'action=accept proto=tcp dstports=443-443');
      assert.equal(normalize('action=accept proto=tcp dstports=1_024'), 'action=accept proto=tcp dstports=1024-1024');
    });
    it('accepts up to 65535 and refuses 65536, as qubesd 4.4 does', () => {
      assert.equal(normalize('action=accept proto=tcp dstports=1-65535'), 'action=accept proto=tcp dstports=1-65535');
      rejects('action=accept proto=tcp dstports=1-65536', /out of range/);
      rejects('action=accept proto=tcp dstports=65536', /out of range/);
    });
    it('refuses out of range, reversed, malformed and protocol-less ports', () => {
      rejects('action=accept proto=tcp dstports=65537', /out of range/);
      rejects('action=accept proto=tcp dstports=-1', /not an integer/);
      rejects('action=accept proto=tcp dstports=100-10', /after its end/);
      rejects('action=accept proto=tcp dstports=1-2-3', /N or N-M/);
      rejects('action=accept proto=tcp dstports=http', /not an integer/);
      rejects('action=accept dstports=80', /only for tcp and udp/);
      rejects('action=accept proto=icmp dstports=80', /only for tcp and udp/);
    });
  });

  describe('icmptype', () => {
    it('accepts 0-255 with proto=icmp', () => {
      assert.equal(parseApiRule('action=accept proto=icmp icmptype=0').icmptype, 0);
      assert.equal(normalize('action=accept proto=icmp icmptype=255'), 'action=accept proto=icmp icmptype=255');
      assert.equal(normalize('action=accept proto=icmp icmptype=008'), 'action=accept proto=icmp icmptype=8');
    });
    it('takes at most three ASCII digits: no sign, no underscore, no fourth digit', () => {
      for (const bad of ['+255', '-1', '+8', '0008', '1_0', '\t8', 'echo', ''])
        rejects(`action=accept proto=icmp icmptype=${bad}`, /bad ICMP type/);
    });
    it('refuses out of range values and other protocols', () => {
      rejects('action=accept proto=icmp icmptype=256', /out of range/);
      rejects('action=accept proto=tcp icmptype=8', /only for icmp/);
      rejects('action=accept icmptype=8', /only for icmp/);
    });
  });

  describe('specialtarget', () => {
    it('accepts dns only', () => {
      assert.equal(parseApiRule('action=accept specialtarget=dns').specialtarget, 'dns');
      rejects('action=accept specialtarget=DNS', /only dns/);
      rejects('action=accept specialtarget=ntp', /only dns/);
    });
  });

  describe('expire', () => {
    it('keeps the text as written and reads the time', () => {
      const rule = parseApiRule('action=accept expire=2000000000');
      assert.deepEqual(rule.expire, { at: 2000000000, text: '2000000000' });
      assert.equal(normalize('action=accept expire=0002000000000'), 'action=accept expire=0002000000000');
    });
    it('is expired strictly after its second', () => {
      const rule = parseApiRule('action=accept expire=1000');
      assert.equal(isRuleExpired(rule, 1_000_000), false);
      assert.equal(isRuleExpired(rule, 1_000_001), true);
      assert.equal(isRuleExpired(parseApiRule('action=accept'), Number.MAX_SAFE_INTEGER), false);
    });
    it('refuses non-numbers, unsafe characters and times Python cannot represent', () => {
      rejects('action=accept expire=+300', /safe set/);
      rejects('action=accept expire=soon', /bad expiration time/);
      rejects('action=accept expire=253402300800', /out of range/);
    });
    it('refuses a negative time and any sign or underscore (qubesd 4.4 checks isdigit())', () => {
      for (const bad of ['-5', '-1000000', '1_000', '0x10'])
        rejects(`action=accept expire=${bad}`, /bad expiration time/);
      assert.equal(isRuleExpired(parseApiRule('action=accept expire=0'), 1), true);
    });
  });

  describe('comment', () => {
    it('takes the rest of the line, spaces and all', () => {
      assert.equal(parseApiRule('action=accept comment=a b  c').comment, 'a b  c');
      // Everything after comment= is the comment, so nothing is left for the options.
      rejects('comment=first action=drop', /expected key=value, got ""/);
    });
    it('splits at the first comment= even inside another option', () => {
      rejects('action=accept nocomment=1', /expected key=value/);
    });
    it('treats an empty comment as none', () => assert.equal(normalize('action=accept comment='), 'action=accept'));
    it('refuses characters outside its set', () => {
      rejects('action=accept comment=a=b', /comment: only/);
      rejects("action=accept comment=it's", /comment: only/);
      rejects('action=accept comment=tab\there', /comment: only/);
    });
  });

  describe('line syntax', () => {
    it('refuses unknown, repeated and malformed options', () => {
      rejects('action=accept port=80', /unknown firewall option "port"/);
      rejects('action=accept action=drop', /already set/);
      rejects('action=accept  proto=tcp', /expected key=value, got ""/);
      rejects('', /expected key=value/);
      rejects('accept', /expected key=value/);
      rejects('action=accept\tproto=tcp', /action/);
    });
    it('ignores surrounding whitespace of the options part', () => {
      assert.equal(normalize('  action=accept proto=tcp  '), 'action=accept proto=tcp');
    });
    it('refuses non-ASCII input', () => rejects('action=accept comment=caf\u00e9', /not ASCII/));
    it("strips str.isspace() characters around the options, as from_api_string's strip() does", () => {
      for (const ws of ['\r', '\x0b', '\x0c', '\x1c', '\x1e', '\x1f'])
        assert.equal(normalize(`${ws}action=accept${ws}`), 'action=accept');
    });
    it('refuses, in an admin list entry, what Python would split in two', () => {
      for (const br of ['\n', '\r', '\x0b', '\x0c', '\x1c', '\x1e'])
        assert.throws(() => parseAdminRuleLine(`action=accept${br}`), /line break/);
      assert.equal(toApiLine(parseAdminRuleLine('action=accept\x1f')), 'action=accept');
    });
  });
});

describe('dom0-side/firewall parsePythonInt', () => {
  it('accepts what int() accepts', () => {
    assert.equal(parsePythonInt(' 42\t'), 42);
    assert.equal(parsePythonInt('-7'), -7);
    assert.equal(parsePythonInt('1_000'), 1000);
    assert.equal(parsePythonInt('007'), 7);
  });
  it('refuses what int() refuses', () => {
    for (const bad of ['', '_1', '1_', '1__0', '0x10', '1.0', '1e3', '+', ' ', '\x1c1', '\u00bd'])
      assert.equal(parsePythonInt(bad), undefined, bad);
  });
  it("reads any script's decimal digits and Unicode spaces, as int() does", () => {
    assert.equal(parsePythonInt('\u0668\u0660'), 80);
    assert.equal(parsePythonInt('\u2003\uff15\u00a0'), 5);
    assert.equal(parsePythonInt('\u{1d7ce}\u{1d7d9}'), 1);
  });
});

import assert from 'node:assert/strict';
import { FirewallRuleError } from '../../../../dom0-side/firewall/firewall-rule-error';
import { parseCliRule } from '../../../../dom0-side/firewall/parse-cli-rule';
import { toApiLine } from '../../../../dom0-side/firewall/rule-model';
import { splitShellWords } from '../../../../dom0-side/firewall/split-shell-words';

const NOW = 1_700_000_000_500;
const normalize = (line: string) => toApiLine(parseCliRule(line, NOW));

function rejects(line: string, message: RegExp): void {
  assert.throws(
    () => parseCliRule(line, NOW),
    (err: unknown) => {
      assert.ok(err instanceof FirewallRuleError, `expected FirewallRuleError for ${JSON.stringify(line)}`);
      assert.match(err.message, message);
      return true;
    },
  );
}

describe('dom0-side/firewall parseCliRule (qvm-firewall form)', () => {
  it('reads keyword arguments with a bare port', () => {
    assert.equal(
      normalize('accept proto=tcp dsthost=example.org dstports=443'),
      'action=accept dsthost=example.org proto=tcp dstports=443-443',
    );
  });
  it('fills positional slots: action, dsthost, proto, dstports', () => {
    assert.equal(normalize('drop 10.0.0.0/8 tcp 22'), 'action=drop dst4=10.0.0.0/8 proto=tcp dstports=22-22');
    assert.equal(
      normalize('accept example.com udp 53-54'),
      'action=accept dsthost=example.com proto=udp dstports=53-54',
    );
  });
  it('sends the positional after proto=icmp to icmptype', () => {
    assert.equal(normalize('accept 1.2.3.4 icmp 8'), 'action=accept dst4=1.2.3.4/32 proto=icmp icmptype=8');
  });
  it('skips slots already given by keyword', () => {
    assert.equal(
      normalize('proto=tcp accept example.com 443'),
      'action=accept dsthost=example.com proto=tcp dstports=443-443',
    );
  });
  it('maps dst4 and dst6 to dsthost', () => {
    assert.equal(normalize('accept dst6=fd00::/8'), 'action=accept dst6=fd00::/8');
  });
  it('leaves out a destination that matches everything', () => {
    assert.equal(normalize('accept 0.0.0.0/0 tcp 80'), 'action=accept proto=tcp dstports=80-80');
    assert.equal(normalize('accept dsthost=::/0'), 'action=accept');
    // The client reads the prefix with int() and never sends it, so qubesd's character check never sees "+".
    assert.equal(normalize('accept dsthost=0.0.0.0/+0'), 'action=accept');
    rejects('accept dsthost=10.0.0.0/+8', /bad prefix length/);
  });
  it('turns expire=+N into now + N seconds', () => {
    assert.equal(normalize('accept expire=+300'), `action=accept expire=${1_700_000_000 + 300}`);
  });
  it('lets a later duplicate key replace the earlier one', () => {
    assert.equal(
      normalize('accept specialtarget=dns comment=a comment=b'),
      'action=accept specialtarget=dns comment=b',
    );
  });
  it('takes a quoted comment with spaces', () => {
    assert.equal(normalize('accept comment="allow web: [x]"'), 'action=accept comment=allow web: [x]');
  });
  it("refuses what qvm-firewall's argument handling refuses", () => {
    rejects('', /empty rule/);
    rejects('accept proto=tcp proto=udp', /conflicts/);
    rejects('accept icmptype=8 proto=tcp', /conflicts/);
    rejects('accept a.example tcp 80 extra', /no element left/);
    rejects('accept comment=a=b', /invalid rule description/);
    rejects('accept port=80', /invalid rule element/);
    rejects('accept expire=+soon', /expire/);
    rejects('accept "unterminated', /unterminated quote/);
  });
  it('refuses what qubesd would refuse after the client sent it', () => {
    rejects('forward', /action/);
    rejects('accept 1.2.3.4 tcp 70000', /out of range/);
    rejects('accept dstports=80', /only for tcp and udp/);
    rejects('accept Example.com', /lower-case host name/);
    rejects('accept comment=naïve', /not ASCII|comment/);
    rejects('proto=tcp', /missing action/);
  });
});

describe('dom0-side/firewall splitShellWords', () => {
  it('splits like a POSIX shell without expansion', () => {
    assert.deepEqual(splitShellWords(` a  'b c' "d \\"e\\"" f\\ g `), ['a', 'b c', 'd "e"', 'f g']);
    assert.deepEqual(splitShellWords(`''`), ['']);
    assert.deepEqual(splitShellWords('   '), []);
  });
});

import assert from 'node:assert/strict';
import { expectExpired, expectNormalized, expectRefused, normalized, NOW_MS } from './conformance-helpers';

const cli = (line: string, want: string) => expectNormalized('cli', line, want);
const refused = (line: string) => expectRefused('cli', line);

describe('conformance: qvm-firewall add (qubes-core-admin-client) then qubesd', () => {
  describe('RuleAction argument forms', () => {
    it('reads named elements in any order', () => {
      cli('dsthost=127.0.0.1 action=accept', 'action=accept dst4=127.0.0.1/32');
    });
    it('reads positional elements: action dsthost proto dstports', () => {
      cli('accept 127.0.0.1 tcp 80', 'action=accept dst4=127.0.0.1/32 proto=tcp dstports=80-80');
    });
    it('sends the positional after proto icmp to icmptype', () => {
      cli('accept 127.0.0.1 icmp 8', 'action=accept dst4=127.0.0.1/32 proto=icmp icmptype=8');
    });
    it('mixes named and positional elements', () => {
      cli('dsthost=127.0.0.1 accept dstports=443 tcp', 'action=accept dst4=127.0.0.1/32 proto=tcp dstports=443-443');
    });
    it('takes an absolute expire as given (and a past one has expired)', () => {
      expectExpired('cli', 'dsthost=127.0.0.1 action=accept expire=1525054180');
      cli('dsthost=127.0.0.1 action=accept expire=2525054180', 'action=accept expire=2525054180 dst4=127.0.0.1/32');
    });
    it('turns expire=+N into now + N seconds', () => {
      cli(
        'dsthost=127.0.0.1 action=accept expire=+100',
        `action=accept expire=${NOW_MS / 1000 + 100} dst4=127.0.0.1/32`,
      );
    });
    it('treats dst4 and dst6 as dsthost', () => {
      for (const name of ['dsthost', 'dst4', 'dst6'])
        cli(`${name}=127.0.0.1 accept`, 'action=accept dst4=127.0.0.1/32');
    });
    it('adds a commented LAN rule as in the add tests', () => {
      cli('accept 192.168.0.0/24 "comment=Allow LAN"', 'action=accept dst4=192.168.0.0/24 comment=Allow LAN');
      cli('drop proto=icmp', 'action=drop proto=icmp');
    });
  });

  describe('client Rule checks', () => {
    it('refuses the invalid combinations before qubesd sees them', () => {
      refused('proto=icmp');
      refused('accept proto=icmp dstports=80');
      refused('accept dstports=80');
      refused('accept proto=tcp icmptype=8');
      refused('accept icmptype=8');
    });
    it('refuses invalid host names and ports', () => {
      refused('accept "www  qubes-os.org"');
      refused('accept https://qubes-os.org');
      refused('accept dstports="80 90" proto=tcp');
      refused('accept 10.0.0.0/8 tcp 100-20');
    });
    it('leaves out a destination of prefix length 0', () => {
      cli('accept 0.0.0.0/0 tcp 443', 'action=accept proto=tcp dstports=443-443');
      cli('accept dst6=::/0', 'action=accept');
    });
  });

  describe('element syntax', () => {
    it('refuses an element ending in "=" (empty values never reach qubesd)', () => {
      for (const line of ['accept dsthost=', 'accept comment=', 'action=', 'accept proto=tcp dstports=']) refused(line);
    });
    it('refuses an empty element', () => refused(`accept ''`));
    it('refuses elements with two "=", unknown names, and dstname (qubesd-only)', () => {
      refused('accept comment=a=b');
      refused('accept port=80');
      refused('accept dstname=example.com');
    });
    it('refuses positional values beyond the last slot', () => refused('accept a.example tcp 80 extra'));
  });

  describe('RuleAction words and shlex', () => {
    it('takes every word as a rule element, option-like ones and "--" included', () => {
      cli('accept --example', 'action=accept dsthost=--example');
      cli('accept -x', 'action=accept dsthost=-x');
      cli('accept -5', 'action=accept dsthost=-5');
      refused('accept -- -x.example');
    });
    it("splits words at shlex's whitespace, \\r included", () => {
      refused('accept\x0bexample.com');
      refused('accept\u00a0example.com');
      cli('accept\texample.com', 'action=accept dsthost=example.com');
      cli('\rdrop\rexample.com\r', 'action=drop dsthost=example.com');
    });
    it('takes a backslash outside quotes as an escape, and refuses one at the very end', () => {
      cli('accept \\e.org', 'action=accept dsthost=e.org');
      refused('accept e.org\\');
    });
    it('is deterministic for one clock reading', () => {
      assert.equal(normalized('cli', 'accept expire=+0'), normalized('cli', 'accept expire=+0'));
    });
  });
});

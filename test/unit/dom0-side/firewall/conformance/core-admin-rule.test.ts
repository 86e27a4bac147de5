import { expectExpired, expectNormalized, expectRefused } from './conformance-helpers';

const api = (line: string, want: string) => expectNormalized('api', line, want);
const refused = (line: string) => expectRefused('api', line);

describe('conformance: qubesd Rule.from_api_string and api_rule (qubes-core-admin)', () => {
  describe('DstHost', () => {
    it('takes a lower-case host name as dsthost', () =>
      api('action=accept dsthost=qubes-os.org', 'action=accept dsthost=qubes-os.org'));
    it('gives a bare IPv4 address /32 and IPv6 /128', () => {
      api('action=accept dsthost=127.0.0.1', 'action=accept dst4=127.0.0.1/32');
      api('action=accept dsthost=2001:abcd:efab::3', 'action=accept dst6=2001:abcd:efab::3/128');
    });
    it('keeps a network with its prefix', () => {
      api('action=accept dsthost=127.0.0.0/8', 'action=accept dst4=127.0.0.0/8');
      api('action=accept dsthost=2001:abcd:efab::/64', 'action=accept dst6=2001:abcd:efab::/64');
    });
    it('does not mask host bits: a network is printed exactly as written', () => {
      // Upstream marks "reject 127.0.0.1/32 / 2001:abcd:efab::3/64" as expected failures.
      api('action=accept dsthost=127.0.0.1/32', 'action=accept dst4=127.0.0.1/32');
      api('action=accept dst4=10.0.0.1/8', 'action=accept dst4=10.0.0.1/8');
      api('action=accept dsthost=2001:abcd:efab::3/64', 'action=accept dst6=2001:abcd:efab::3/64');
      api('action=accept dst6=2001:ABCD::1', 'action=accept dst6=2001:ABCD::1/128');
    });
    it('refuses prefixes out of range', () => {
      for (const bad of ['127.0.0.0/33', '127.0.0.0/-1', '2001:abcd:efab::3/129', '2001:abcd:efab::3/-1'])
        refused(`action=accept dsthost=${bad}`);
    });
    it('refuses shortened, malformed and impossible addresses', () => {
      for (const bad of [
        '127/8',
        '137.327.0.0/16',
        '1.2.3.4.5/32',
        '2001:abcd:efab0123::3/128',
        '2001:abcd:efab:3/128',
        '2001:abcd:efab:a:a:a:a:a:a:3/128',
        '2001:abcd:efgh::3/128',
      ])
        refused(`action=accept dsthost=${bad}`);
    });
    it('refuses invalid host names', () => {
      refused('action=accept dsthost=https://qubes-os.org');
      refused('action=accept dsthost=www  qubes-os.org');
    });
  });

  describe('DstPorts', () => {
    it('prints a single port as N-N and a range as N-M', () => {
      api('action=accept proto=tcp dstports=80', 'action=accept proto=tcp dstports=80-80');
      api('action=accept proto=udp dstports=80-90', 'action=accept proto=udp dstports=80-90');
    });
    it('refuses malformed, reversed and out-of-range ports', () => {
      for (const bad of ['80-90-100', 'abcdef', '', '100-20', '1000000000000', '1-1000000000000'])
        refused(`action=accept proto=tcp dstports=${bad}`);
    });
  });

  describe('IcmpType', () => {
    it('takes a number and prints it as a number', () => {
      api('action=accept proto=icmp icmptype=8', 'action=accept proto=icmp icmptype=8');
    });
    it('refuses out of range and non-numbers', () => {
      for (const bad of ['600', '-1', 'abcde', '']) refused(`action=accept proto=icmp icmptype=${bad}`);
    });
  });

  describe('SpecialTarget, Action, Proto', () => {
    it('takes exactly their choices', () => {
      api('action=accept specialtarget=dns', 'action=accept specialtarget=dns');
      api('action=drop proto=udp', 'action=drop proto=udp');
      refused('action=invalid');
      refused('action=accept proto=invalid');
      refused('action=accept specialtarget=invalid');
    });
  });

  describe('Expire', () => {
    it('prints the number as given and counts a past time as expired', () => {
      expectExpired('api', 'action=accept proto=icmp expire=1463292452');
      api('action=accept proto=icmp expire=2583292452', 'action=accept expire=2583292452 proto=icmp');
    });
    it('refuses non-numbers and the empty string', () => {
      refused('action=accept expire=abcdef');
      refused('action=accept expire=');
    });
  });

  describe('Comment', () => {
    it('keeps spaces and prints it last', () => {
      api('action=accept comment=Some comment', 'action=accept comment=Some comment');
    });
  });

  describe('Rule', () => {
    it('prints properties by (order, name) with the comment last', () => {
      api('action=accept proto=icmp', 'action=accept proto=icmp');
      api('action=drop proto=tcp dstports=80-80', 'action=drop proto=tcp dstports=80-80');
      api(
        'action=accept expire=2063292452 proto=tcp comment=Some comment, with spaces',
        'action=accept expire=2063292452 proto=tcp comment=Some comment, with spaces',
      );
      api(
        'dstports=443 proto=tcp dst4=10.0.0.0/8 expire=2000000000 action=drop comment=x',
        'action=drop expire=2000000000 dst4=10.0.0.0/8 proto=tcp dstports=443-443 comment=x',
      );
      api(
        'specialtarget=dns dstports=53 proto=udp action=accept',
        'action=accept proto=udp specialtarget=dns dstports=53-53',
      );
      api(
        'icmptype=0 specialtarget=dns proto=icmp dsthost=::/0 action=drop expire=2000000000',
        'action=drop expire=2000000000 dst6=::/0 proto=icmp specialtarget=dns icmptype=0',
      );
    });
    it('gives the qdb entries of its firewall test', () => {
      api('action=drop proto=icmp', 'action=drop proto=icmp');
      api('action=drop proto=tcp dstports=80', 'action=drop proto=tcp dstports=80-80');
      api('action=accept proto=udp', 'action=accept proto=udp');
      api('action=accept specialtarget=dns', 'action=accept specialtarget=dns');
    });
    it('refuses the invalid combinations', () => {
      refused('proto=icmp');
      refused('action=accept proto=icmp dstports=80');
      refused('action=accept dstports=80');
      refused('action=accept proto=tcp icmptype=8');
      refused('action=accept icmptype=8');
    });
    it('refuses unknown and repeated options, including a second destination under an alias', () => {
      refused('action=accept foo=bar');
      refused('action=accept proto=tcp proto=udp');
      refused('action=accept dsthost=a.example dst4=1.2.3.4');
      refused('action=accept dst4=1.2.3.4 dst6=::1');
      refused('action=accept dst6=::1 dstname=a.example');
    });
  });
});

import assert from 'node:assert/strict';
import { parsePythonInt } from '../../../../../dom0-side/firewall/python-int';
import { expectNormalized, expectRefused } from './conformance-helpers';

// Behaviour qubesd inherits from CPython and glibc rather than from its own
// code, checked against a real interpreter during the audit.

describe('conformance: CPython and glibc behaviour under the rule code', () => {
  describe("int() whitespace is C isspace(), narrower than str.strip()'s", () => {
    it('skips \\t \\n \\v \\f \\r and space around digits', () => {
      for (const ws of [' ', '\t', '\n', '\x0b', '\x0c', '\r']) assert.equal(parsePythonInt(`${ws}7${ws}`), 7);
    });
    it('fails on the separators \\x1c-\\x1f that strip() would remove', () => {
      for (const ws of ['\x1c', '\x1d', '\x1e', '\x1f']) assert.equal(parsePythonInt(`${ws}7`), undefined);
    });
    it('so an inner port value with \\x1f is refused, while a trailing one is stripped off the line', () => {
      expectRefused('api', 'action=accept dstports=80\x1f proto=tcp');
      expectNormalized('api', 'action=accept proto=tcp dstports=80\x1f', 'action=accept proto=tcp dstports=80-80');
      expectNormalized('api', 'action=accept dstports=\t80 proto=tcp', 'action=accept proto=tcp dstports=80-80');
    });
  });

  describe('datetime.fromtimestamp() range for expire (UTC dom0)', () => {
    it('takes the last second of year 9999 and the start of 0001-01-02', () => {
      expectNormalized('api', 'action=accept expire=253402300799', 'action=accept expire=253402300799');
      expectRefused('api', 'action=accept expire=253402300800');
    });
    it('refuses the first day of year 1, where its fold check reaches year 0', () => {
      expectRefused('api', 'action=accept expire=-62135596800');
      expectRefused('api', 'action=accept expire=-62135510401');
    });
  });

  describe('inet_pton decides address or host name', () => {
    it('takes mapped and compressed IPv6 forms', () => {
      expectNormalized('api', 'action=accept dsthost=::ffff:1.2.3.4', 'action=accept dst6=::ffff:1.2.3.4/128');
      expectNormalized('api', 'action=accept dsthost=::', 'action=accept dst6=::/128');
      expectNormalized('api', 'action=accept dsthost=1:2:3:4:5:6:7::', 'action=accept dst6=1:2:3:4:5:6:7::/128');
    });
    it('takes a dotted quad with leading zeros as a host name, but refuses it as a network', () => {
      expectNormalized('api', 'action=accept dsthost=01.2.3.4', 'action=accept dsthost=01.2.3.4');
      expectRefused('api', 'action=accept dsthost=01.2.3.4/32');
      expectRefused('api', 'action=accept dsthost=1:2:3:4:5:6:7:8::/64');
    });
  });
});

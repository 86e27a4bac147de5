import assert from 'node:assert/strict';
import { FirewallRule } from '../../../../services/schemas/firewall-rule';
import { UnrepresentableRuleError } from '../../../../dom0-side/firewall/firewall-rule-error';
import { parseApiRule } from '../../../../dom0-side/firewall/parse-api-rule';
import { toWireRule } from '../../../../dom0-side/firewall/to-wire-rule';

const wire = (line: string) => toWireRule(parseApiRule(line));

describe('dom0-side/firewall toWireRule', () => {
  it('carries every field in the services/ FirewallRule form', () => {
    const w = wire('action=drop expire=2000000000 dst4=10.0.0.0/8 proto=tcp dstports=443-444 comment=x');
    assert.deepEqual(w, {
      action: 'drop',
      proto: 'tcp',
      dst4: '10.0.0.0/8',
      dstports: { from: 443, to: 444 },
      expire: 2000000000,
      comment: 'x',
    });
    assert.deepEqual(FirewallRule.parse(w), w);
    assert.deepEqual(wire('action=accept proto=icmp icmptype=8'), { action: 'accept', proto: 'icmp', icmptype: 8 });
    assert.deepEqual(wire('action=accept proto=udp specialtarget=dns dstports=53'), {
      action: 'accept',
      proto: 'udp',
      specialtarget: 'dns',
      dstports: { from: 53, to: 53 },
    });
    assert.deepEqual(wire('action=accept dsthost=example.org'), { action: 'accept', dsthost: 'example.org' });
  });
  it('clears host bits and canonicalizes IPv6, as the kernel matches them', () => {
    assert.equal(wire('action=accept dst4=10.1.2.3/8').dst4, '10.0.0.0/8');
    assert.equal(wire('action=accept dst4=10.1.2.3/0').dst4, '0.0.0.0/0');
    assert.equal(wire('action=accept dst4=10.1.2.3').dst4, '10.1.2.3/32');
    assert.equal(wire('action=accept dst6=2001:DB8:0:0:1::ff/64').dst6, '2001:db8::/64');
    assert.equal(wire('action=accept dst6=2001:db8::fff7/125').dst6, '2001:db8::fff0/125');
    assert.equal(wire('action=accept dst6=::1').dst6, '::1/128');
  });
  it('carries the whole port range qubesd takes', () => {
    assert.deepEqual(wire('action=accept proto=tcp dstports=1000-65535').dstports, { from: 1000, to: 65535 });
  });
  it('refuses rules Qubes takes but the wire cannot carry', () => {
    assert.throws(() => wire('action=accept dsthost=1.2.3.4 specialtarget=dns'), /at most one destination/);
    assert.throws(() => wire('action=accept dsthost=443'), /not a number/);
    assert.throws(() => wire('action=accept dsthost='), UnrepresentableRuleError);
  });
});

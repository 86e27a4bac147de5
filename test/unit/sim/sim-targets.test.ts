import assert from 'node:assert/strict';
import { resolveSimTarget, restartTargetOf, simTargetNames } from '../../../sim/sim-targets';
import { DEFAULT_TOPOLOGY } from '../../../sim/topology';

describe('sim targets: what qnet sim restart|kill NAME acts on', () => {
  it("a qube is its agent; the daemons by name; upstream is its processes (the VPN's DNS among them)", () => {
    assert.deepEqual(resolveSimTarget(DEFAULT_TOPOLOGY, 'work'), {
      kind: 'agent',
      qube: 'work',
      processes: ['agent-work'],
    });
    assert.deepEqual(resolveSimTarget(DEFAULT_TOPOLOGY, 'qnetd'), { kind: 'qnetd', processes: ['qnetd'] });
    assert.deepEqual(resolveSimTarget(DEFAULT_TOPOLOGY, 'upstream')?.processes, [
      'dnsmasq-0',
      'dnsmasq-1',
      'echo',
      'dnsmasq-vpn',
    ]);
  });

  it('dom0 (no agent) and unknown names are nothing', () => {
    assert.equal(resolveSimTarget(DEFAULT_TOPOLOGY, 'dom0'), undefined);
    assert.equal(resolveSimTarget(DEFAULT_TOPOLOGY, 'agent-work'), undefined);
    assert.ok(!simTargetNames(DEFAULT_TOPOLOGY).includes('dom0'));
  });

  it('a dead process names the restart that brings it back', () => {
    assert.equal(restartTargetOf('agent-sys-net'), 'sys-net');
    assert.equal(restartTargetOf('dnsmasq-1'), 'upstream');
    assert.equal(restartTargetOf('echo'), 'upstream');
    assert.equal(restartTargetOf('dnsmasq-vpn'), 'upstream');
    assert.equal(restartTargetOf('hotplug'), 'hotplug');
  });
});

import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { simBinaries } from '../../../sim/sim-binaries';

describe('simBinaries: which agent the simulator starts', () => {
  const build = resolve(__dirname, '../../..');

  it('runs the build agent by default', () => {
    assert.equal(simBinaries({}).agent, join(build, 'vm-side/main.js'));
    assert.equal(simBinaries({ QNET_SIM_AGENT: '' }).agent, join(build, 'vm-side/main.js'));
  });

  it('QNET_SIM_AGENT names another agent (an installed one), made absolute', () => {
    assert.equal(simBinaries({ QNET_SIM_AGENT: '/tmp/root/usr/bin/qnet-agent' }).agent, '/tmp/root/usr/bin/qnet-agent');
    assert.equal(simBinaries({ QNET_SIM_AGENT: 'root/usr/bin/qnet-agent' }).agent, resolve('root/usr/bin/qnet-agent'));
  });

  it('changes nothing else', () => {
    const { agent: _a, ...rest } = simBinaries({ QNET_SIM_AGENT: '/x/qnet-agent' });
    const { agent: _b, ...defaults } = simBinaries({});
    assert.deepEqual(rest, defaults);
  });
});

import assert from 'node:assert/strict';
import sinon from 'sinon';
import { SystemClock } from '../../../../vm-side/firewall/clock';

describe('SystemClock', () => {
  let timers: sinon.SinonFakeTimers;
  beforeEach(() => {
    timers = sinon.useFakeTimers({ now: 1_000 });
  });
  afterEach(() => timers.restore());

  it('fires at the given time, and not when cancelled', () => {
    const clock = new SystemClock();
    const fired: string[] = [];
    clock.schedule(1_500, () => fired.push('a'));
    const cancel = clock.schedule(1_600, () => fired.push('b'));
    cancel();
    timers.tick(499);
    assert.deepEqual(fired, []);
    timers.tick(200);
    assert.deepEqual(fired, ['a']);
  });

  it('reaches a wake-up beyond the 32-bit setTimeout limit', () => {
    const clock = new SystemClock();
    let fired = false;
    const at = 1_000 + 2 ** 31 + 10_000;
    clock.schedule(at, () => {
      fired = true;
    });
    timers.tick(2 ** 31);
    assert.equal(fired, false);
    timers.tick(10_000);
    assert.equal(fired, true);
  });
});

import assert from 'node:assert/strict';
import sinon from 'sinon';
import { SystemClock, WALL_CLOCK_RECHECK_MS } from '../../../../vm-side/firewall/clock';

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

  it('a wall-clock jump forward fires a due wake-up within seconds, not after the old delay (issue 11 point 3)', () => {
    const clock = new SystemClock();
    let fired = 0;
    clock.schedule(1_000 + 3_600_000, () => fired++); // a rule expiring in an hour
    timers.tick(1_000);
    // NTP or a resumed VM moves the wall clock by more than an hour; monotonic time barely moved.
    timers.setSystemTime(Date.now() + 3_700_000);
    timers.tick(WALL_CLOCK_RECHECK_MS);
    assert.equal(fired, 1);
    timers.tick(3_600_000);
    assert.equal(fired, 1, 'fires once');
  });

  it('a wall-clock jump backward postpones the wake-up to the wall time it names', () => {
    const clock = new SystemClock();
    let fired = false;
    clock.schedule(1_000 + 10_000, () => (fired = true));
    timers.setSystemTime(Date.now() - 60_000);
    timers.tick(10_000);
    assert.equal(fired, false, 'the rule has not expired by the wall clock');
    timers.tick(60_000);
    assert.equal(fired, true);
  });

  it('waits for a wake-up beyond the 32-bit setTimeout limit without firing early', () => {
    const clock = new SystemClock();
    let fired = false;
    const at = 1_000 + 2 ** 31 + 10_000;
    clock.schedule(at, () => {
      fired = true;
    });
    timers.tick(600_000);
    assert.equal(fired, false);
    timers.setSystemTime(at - 1_000);
    timers.tick(WALL_CLOCK_RECHECK_MS);
    assert.equal(fired, true);
  });
});

import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import sinon from 'sinon';
import {
  ConnectionAdmission,
  UNATTRIBUTED,
  type AdmissionOptions,
  type AdmittedConnection,
} from '../../../../shared/runtime/connection-admission';
import type { QnetError } from '../../../../shared/errors/qnet-error';

/** Only what admission touches of a socket: its close event and destroy(). Real sockets: test/integration/shared. */
class FakeSocket extends EventEmitter {
  destroyed = false;
  destroy(): this {
    if (!this.destroyed) {
      this.destroyed = true;
      this.emit('close');
    }
    return this;
  }
}

const OPTS: AdmissionOptions = {
  maxOpen: 100,
  maxReading: 4,
  maxReadingPerSource: 2,
  maxQueued: 10,
  maxQueuedPerSource: 3,
  readDeadlineMs: 5000,
  yieldAfterMs: 1000,
  maxWaitMs: 8000,
};

describe('ConnectionAdmission (logic, fake clock)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => (clock = sinon.useFakeTimers({ now: 1_000_000 })));
  afterEach(() => clock.restore());

  function harness(opts: Partial<AdmissionOptions> = {}) {
    const admission = new ConnectionAdmission({ ...OPTS, ...opts });
    const shed: { conn: AdmittedConnection; reason: QnetError }[] = [];
    const order: string[] = [];
    const open = (label: string) => {
      const holder: { conn?: AdmittedConnection } = {};
      const conn = admission.accept(new FakeSocket() as unknown as Socket, (reason) =>
        shed.push({ conn: holder.conn as AdmittedConnection, reason }),
      );
      assert.ok(conn, 'refused at the door');
      holder.conn = conn;
      return { conn, label };
    };
    const ask = (c: { conn: AdmittedConnection; label: string }, source: string) => {
      const p = c.conn.read(source).then(
        () => (order.push(c.label), 'granted'),
        (err: QnetError) => err.code,
      );
      return p;
    };
    return { admission, shed, order, open, ask };
  }

  it('bounds readers per source; the rest wait, and one source cannot take a slot from another', async () => {
    const h = harness();
    const a = [0, 1, 2].map((i) => h.open(`a${i}`));
    const b = h.open('b0');
    const results = [h.ask(a[0], 'a'), h.ask(a[1], 'a'), h.ask(a[2], 'a'), h.ask(b, 'b')];
    await clock.tickAsync(0);
    assert.deepEqual(h.order, ['a0', 'a1', 'b0']); // a2 waits: source a holds its two slots
    a[0].conn.doneReading();
    await clock.tickAsync(0);
    assert.deepEqual(h.order, ['a0', 'a1', 'b0', 'a2']);
    assert.deepEqual(await Promise.all(results), ['granted', 'granted', 'granted', 'granted']);
  });

  it('serves waiting sources round-robin, not in arrival order', async () => {
    const h = harness({ maxReading: 1, maxReadingPerSource: 1 });
    const first = h.open('first');
    await h.ask(first, 'x');
    const waiting = [h.open('a1'), h.open('a2'), h.open('a3'), h.open('b1')];
    void h.ask(waiting[0], 'a');
    void h.ask(waiting[1], 'a');
    void h.ask(waiting[2], 'a');
    void h.ask(waiting[3], 'b');
    const byLabel = new Map([first, ...waiting].map((c) => [c.label, c.conn]));
    for (let i = 0; i < 5; i++) {
      byLabel.get(h.order[h.order.length - 1])?.doneReading();
      await clock.tickAsync(0);
    }
    assert.deepEqual(h.order, ['first', 'a1', 'b1', 'a2', 'a3']);
  });

  it("refuses a source's connection beyond its queue, and others' are still queued", async () => {
    const h = harness();
    const a = [0, 1, 2, 3, 4, 5].map((i) => h.open(`a${i}`));
    const results = a.map((c) => h.ask(c, 'a'));
    const b = h.open('b');
    const bResult = h.ask(b, 'b');
    await clock.tickAsync(0);
    // two read, three wait, the sixth is refused; b reads at once
    assert.equal(await results[5], 'UNAVAILABLE');
    assert.equal(await bResult, 'granted');
    assert.equal(h.admission.counters.queued, 3);
  });

  it('a reader still incomplete after yieldAfterMs gives its slot to a waiting caller of its source; a young one does not', async () => {
    const h = harness();
    const slow = [h.open('slow0'), h.open('slow1')];
    for (const c of slow) await h.ask(c, 'a');
    await clock.tickAsync(400);
    const good = h.open('good');
    const granted = h.ask(good, 'a');
    await clock.tickAsync(500);
    assert.equal(h.shed.length, 0); // 900 ms: nobody has read for a second yet
    await clock.tickAsync(150);
    assert.equal(h.shed.length, 1);
    assert.equal(h.shed[0].conn, slow[0].conn);
    assert.equal(h.shed[0].reason.code, 'TIMEOUT');
    assert.equal(await granted, 'granted');
  });

  it('ends a reader at the total deadline though nobody waits; time spent waiting is not counted', async () => {
    const h = harness({ maxReading: 1, maxReadingPerSource: 1, yieldAfterMs: 60_000 });
    const first = h.open('first');
    await h.ask(first, 'x');
    const second = h.open('second');
    const granted = h.ask(second, 'y');
    await clock.tickAsync(4000);
    first.conn.doneReading();
    assert.equal(await granted, 'granted');
    await clock.tickAsync(4999);
    assert.equal(h.shed.length, 0); // 4 s waiting + 4.999 s reading: only the reading counts
    await clock.tickAsync(2);
    assert.equal(h.shed.length, 1);
    assert.equal(h.shed[0].conn, second.conn);
  });

  it('counts the descriptor phase against the total deadline, without taking a slot', async () => {
    const h = harness({ maxReading: 1, maxReadingPerSource: 1, yieldAfterMs: 60_000 });
    const many = [0, 1, 2, 3, 4].map((i) => h.open(`u${i}`));
    for (const c of many) assert.equal(await h.ask(c, UNATTRIBUTED), 'granted');
    await clock.tickAsync(3000);
    await h.ask(many[0], 'a'); // moves to its source's slot with 2 s left
    await clock.tickAsync(2001);
    assert.ok(h.shed.some((s) => s.conn === many[0].conn));
  });

  it('refuses at the door beyond maxOpen unless a reader is old enough to give way', async () => {
    const h = harness({ maxOpen: 2 });
    const a = h.open('a');
    const b = h.open('b');
    await h.ask(a, UNATTRIBUTED);
    await h.ask(b, UNATTRIBUTED);
    const late = new FakeSocket();
    assert.equal(
      h.admission.accept(late as unknown as Socket, () => {}),
      undefined,
    );
    assert.equal(late.destroyed, true);
    await clock.tickAsync(1000);
    assert.ok(h.admission.accept(new FakeSocket() as unknown as Socket, () => {}));
    assert.equal(h.shed[0].conn, a.conn);
  });

  it('a waiter whose socket closes leaves the queue and its promise settles', async () => {
    const h = harness({ maxReading: 1, maxReadingPerSource: 1 });
    const first = h.open('first');
    await h.ask(first, 'x');
    const gone = h.open('gone');
    const result = h.ask(gone, 'y');
    gone.conn.socket.destroy();
    assert.equal(await result, 'UNAVAILABLE');
    assert.equal(h.admission.counters.queued, 0);
    assert.equal(h.admission.counters.open, 1);
  });
});

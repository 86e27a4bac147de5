import assert from 'node:assert/strict';
import { PayloadTooLargeError } from '../../../../shared/errors/qnet-error';
import { EventStreamParser } from '../../../../dom0-side/qubesd/event-stream-parser';
import { QubesdError, QubesdProtocolError } from '../../../../dom0-side/qubesd/qubesd-errors';
import type { QubesdEvent } from '../../../../dom0-side/qubesd/qubesd-event';

const raw = (s: string) => Buffer.from(s, 'latin1');

// Written out by hand from QubesDaemonProtocol.send_event, not with the fake's encoder.
const STREAM = raw(
  '1\0\0connection-established\0\0' +
    '1\0work\0domain-start\0start_guid\0True\0\0' +
    '1\0sys-net\0domain-feature-set:ipv6\0feature\0ipv6\0value\x001\0\0' +
    '1\0\0domain-add\0vm\0new\0\0',
);

const EXPECTED: QubesdEvent[] = [
  { subject: null, event: 'connection-established', kwargs: {} },
  { subject: 'work', event: 'domain-start', kwargs: { start_guid: 'True' } },
  { subject: 'sys-net', event: 'domain-feature-set:ipv6', kwargs: { feature: 'ipv6', value: '1' } },
  { subject: null, event: 'domain-add', kwargs: { vm: 'new' } },
];

const plain = (events: QubesdEvent[]) => events.map((e) => ({ ...e, kwargs: { ...e.kwargs } }));

describe('EventStreamParser', () => {
  it('parses events delivered in one chunk', () => {
    const p = new EventStreamParser('admin.Events');
    assert.deepEqual(plain(p.push(STREAM)), EXPECTED);
    assert.doesNotThrow(() => p.end());
  });

  it('gives the same events whatever the chunk boundaries', () => {
    for (let size = 1; size <= 7; size++) {
      const p = new EventStreamParser('admin.Events');
      const got: QubesdEvent[] = [];
      for (let at = 0; at < STREAM.length; at += size) got.push(...p.push(STREAM.subarray(at, at + size)));
      assert.deepEqual(plain(got), EXPECTED, `chunks of ${size}`);
      p.end();
    }
  });

  it('raises the exception qubesd sends instead of events at end of stream', () => {
    const p = new EventStreamParser('admin.Events');
    assert.deepEqual(p.push(raw('2\0QubesException\0\0events not allowed\0')), []);
    assert.throws(
      () => p.end(),
      (err: unknown) => err instanceof QubesdError && err.qubesdMessage === 'events not allowed',
    );
  });

  it('refuses a stream cut inside an event', () => {
    const p = new EventStreamParser('admin.Events');
    assert.deepEqual(p.push(raw('1\0work\0domain-start\0')), []);
    assert.throws(() => p.end(), QubesdProtocolError);
  });

  it('refuses frames that are not events', () => {
    assert.throws(() => new EventStreamParser('e').push(raw('0\0')), QubesdProtocolError);
    assert.throws(() => new EventStreamParser('e').push(raw('1\0work\0\0\0')), QubesdProtocolError);
    assert.throws(() => new EventStreamParser('e').push(raw('1\0w\0e\0k\0a\0k\0b\0\0')), QubesdProtocolError);
    assert.throws(() => new EventStreamParser('e').push(Buffer.from([0x31, 0, 0xc3, 0x28, 0])), QubesdProtocolError);
  });

  it('caps one event, so a stream without NULs cannot grow without bound', () => {
    const p = new EventStreamParser('e', 64);
    assert.throws(() => p.push(raw(`1\0${'x'.repeat(100)}`)), PayloadTooLargeError);
  });
});

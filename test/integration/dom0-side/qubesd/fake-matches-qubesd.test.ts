import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { EventStreamParser } from '../../../../dom0-side/qubesd/event-stream-parser';
import type { QubesdEvent } from '../../../../dom0-side/qubesd/qubesd-event';
import { FakeQubesd } from '../../../fixtures/fake-qubesd';
import { tempDir } from '../../../helpers/processes';

interface RecordedCall {
  method: string;
  dest: string;
  arg: string;
  payload: string;
  reply: { value?: string; exception?: string; message?: string; noReply?: boolean };
  events: { subject: string | null; event: string; kwargs: Record<string, string> }[];
}

/** The real qubesd's answers (qubes-core-admin in offline mode), captured once; CI cannot run it. */
const RECORDED = JSON.parse(
  readFileSync(join(__dirname, '../../../../../test/fixtures/qubesd-recorded.json'), 'utf8'),
) as { calls: RecordedCall[] };

/** One raw call, decoded only as far as the recording is: value, exception type and message, or nothing. */
function rawCall(socketPath: string, c: RecordedCall): Promise<RecordedCall['reply']> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect(socketPath);
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', reject);
    s.on('close', () => {
      const raw = Buffer.concat(chunks);
      if (raw.length === 0) return resolve({ noReply: true });
      if (raw[0] === 0x30) return resolve({ value: raw.subarray(2).toString('utf8') });
      const fields = raw
        .subarray(2, raw.length - 1)
        .toString('utf8')
        .split('\0');
      resolve({ exception: fields[0], message: fields[2] });
    });
    s.end(Buffer.concat([Buffer.from(`${c.method}+${c.arg} dom0 name ${c.dest}\0`), Buffer.from(c.payload)]));
  });
}

/** The system run-qubesd.py builds: a template, sys-net, sys-firewall, work on default_netvm, personal. */
function seedOfflineSystem(fake: FakeQubesd): void {
  fake.defaultNetvm = 'sys-firewall';
  fake.addDomain({ name: 'debian-12', klass: 'TemplateVM', qid: 1, netvm: null }, false);
  fake.addDomain({ name: 'sys-net', qid: 2, netvm: null, providesNetwork: true }, false);
  fake.addDomain({ name: 'sys-firewall', qid: 3, netvm: 'sys-net', providesNetwork: true }, false);
  fake.addDomain({ name: 'work', qid: 4 }, false);
  fake.addDomain({ name: 'personal', qid: 5, netvm: 'sys-firewall' }, false);
}

const withoutUuids = (text: string) => text.replace(/ uuid=[0-9a-f-]+/g, '');

describe('test/fixtures fake qubesd against the recorded real qubesd', function () {
  this.timeout(30_000);

  it('answers every recorded call as the real qubesd did, with the same events in the same order', async () => {
    const dir = tempDir('fake-vs-real');
    const socketPath = join(dir.path, 'qubesd.sock');
    const fake = new FakeQubesd();
    await fake.start(socketPath);
    const events: QubesdEvent[] = [];
    const parser = new EventStreamParser('admin.Events');
    const stream = connect(socketPath);
    stream.on('data', (d: Buffer) => events.push(...parser.push(d)));
    stream.end('admin.Events+ dom0 name dom0\0');
    try {
      seedOfflineSystem(fake);
      while (events.length === 0) await new Promise((r) => setTimeout(r, 5));
      events.length = 0;
      assert.ok(RECORDED.calls.length > 200);
      for (const [i, c] of RECORDED.calls.entries()) {
        const what = `call ${i}: ${c.method}+${c.arg} ${c.dest} ${JSON.stringify(c.payload)}`;
        const reply = await rawCall(socketPath, c);
        const want = c.reply.value === undefined ? c.reply : { value: withoutUuids(c.reply.value) };
        assert.deepEqual(reply.value === undefined ? reply : { value: withoutUuids(reply.value) }, want, what);
        const deadline = Date.now() + 1000;
        while (events.length < c.events.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
        await new Promise((r) => setTimeout(r, 5));
        assert.deepEqual(
          events.map((e) => ({ subject: e.subject, event: e.event, kwargs: { ...e.kwargs } })),
          c.events,
          `${what}: events`,
        );
        events.length = 0;
      }
    } finally {
      stream.destroy();
      await fake.stop();
      dir.dispose();
    }
  });
});

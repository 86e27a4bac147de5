import { PayloadTooLargeError, quote } from '../../shared/errors/qnet-error';
import { QubesdProtocolError } from './qubesd-errors';
import type { QubesdEvent } from './qubesd-event';
import { REPLY_EVENT, REPLY_EXCEPTION, decodeText, parseQubesdReply } from './qubesd-reply';

/**
 * Reads the `admin.Events` stream incrementally. Each event is
 * `1\0SUBJECT\0EVENT\0` then `KEY\0VALUE\0` pairs and one more `\0`; the
 * first is `connection-established` about the app (empty subject). An
 * exception (`2\0…`) ends the stream and is raised by `end()`.
 */
export class EventStreamParser {
  private pending: Buffer = Buffer.alloc(0);
  private failing = false;

  /** `maxEventBytes` bounds one event (and an exception reply); qubesd's are a few hundred bytes. */
  constructor(
    private readonly call: string,
    private readonly maxEventBytes = 64 * 1024,
  ) {}

  push(chunk: Buffer): QubesdEvent[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const events: QubesdEvent[] = [];
    while (!this.failing && this.pending.length >= 2) {
      if (this.pending[0] === REPLY_EXCEPTION && this.pending[1] === 0) {
        this.failing = true;
        break;
      }
      if (this.pending[0] !== REPLY_EVENT || this.pending[1] !== 0) {
        throw new QubesdProtocolError(
          `${this.call}: expected an event, got ${quote(this.pending.subarray(0, 2).toString('latin1'))}`,
        );
      }
      const parsed = this.parseEvent();
      if (!parsed) break;
      events.push(parsed.event);
      this.pending = this.pending.subarray(parsed.length);
    }
    if (this.pending.length > this.maxEventBytes) throw new PayloadTooLargeError(this.maxEventBytes);
    return events;
  }

  /** The stream ended: an exception reply is raised, a cut event is a protocol error. */
  end(): void {
    if (this.failing) parseQubesdReply(this.pending, this.call);
    if (this.pending.length > 0) throw new QubesdProtocolError(`${this.call}: stream ended inside an event`);
  }

  /** One complete event at the start of `pending`, or undefined when more bytes are needed. */
  private parseEvent(): { event: QubesdEvent; length: number } | undefined {
    const buf = this.pending;
    let pos = 2;
    const field = (): string | undefined => {
      const at = buf.indexOf(0, pos);
      if (at < 0) return undefined;
      const text = decodeText(buf.subarray(pos, at), `${this.call}: event field`);
      pos = at + 1;
      return text;
    };
    const subject = field();
    const event = subject === undefined ? undefined : field();
    if (subject === undefined || event === undefined) return undefined;
    if (event === '') throw new QubesdProtocolError(`${this.call}: event without a name`);
    const kwargs: Record<string, string> = Object.create(null) as Record<string, string>;
    for (;;) {
      const key = field();
      if (key === undefined) return undefined;
      if (key === '') break;
      const value = field();
      if (value === undefined) return undefined;
      if (key in kwargs) throw new QubesdProtocolError(`${this.call}: ${event} repeats argument ${quote(key)}`);
      kwargs[key] = value;
    }
    return { event: { subject: subject === '' ? null : subject, event, kwargs }, length: pos };
  }
}

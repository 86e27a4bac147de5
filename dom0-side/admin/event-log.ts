import type { AdminEvent, PushTarget, QubeEvent } from '../../services/admin/admin-schemas';
import type { ReconcilerEvent } from '../reconciler/reconciler-events';

/** A qube event before it is numbered and stamped. */
export type QubeEventDraft = Pick<QubeEvent, 'event' | 'qube' | 'args'>;

/** Said of a push nothing known asked for (a rule expiring, a retry of a document older than this qnetd). */
const UNKNOWN_CAUSE = 'qnetd';

/**
 * The last `capacity` events, numbered, for clients that poll the admin
 * socket (one call per connection, so events are fetched, not streamed).
 * Push events carry the `cause` of the change that asked for their document
 * generation, and each outcome is reported once per cause.
 */
export class EventLog {
  private readonly events: AdminEvent[] = [];
  private seq = -1;
  private causeSeq = 0;
  private readonly waiters = new Set<() => void>();
  /** `qube service generation` → the cause of that push, and the outcomes already reported for it. */
  private readonly causes = new Map<string, { cause: string; reported: Set<string> }>();

  constructor(
    private readonly capacity = 4096,
    private readonly clock: () => number = Date.now,
  ) {}

  get last(): number {
    return this.seq;
  }

  /**
   * A change (or startup, resync, `qnet push`) and the pushes it asked for:
   * its qube events are logged now, and the push events of those documents
   * will name it. Returns the cause string.
   */
  recordCause(what: string, events: readonly QubeEventDraft[], pushes: readonly PushTarget[]): string {
    const cause = `#${++this.causeSeq} ${what}`.slice(0, 160);
    for (const p of pushes) {
      const key = pushKey(p);
      this.causes.delete(key); // re-inserted last, so the oldest causes are the ones dropped
      this.causes.set(key, { cause, reported: new Set() });
    }
    while (this.causes.size > this.capacity) this.causes.delete(this.causes.keys().next().value!);
    const at = this.clock();
    for (const e of events) this.push({ ...e, type: 'qube-event', at, cause });
    return cause;
  }

  append(event: ReconcilerEvent): void {
    const known = this.causes.get(pushKey(event));
    if (known) {
      // A second acknowledgement of the same document for the same cause tells nothing new.
      if (known.reported.has(event.type)) return;
      known.reported.add(event.type);
    }
    this.push({ ...event, cause: known?.cause ?? UNKNOWN_CAUSE });
  }

  /** Events numbered above `after`; waits up to `timeoutMs` when there are none yet. */
  async after(after: number, timeoutMs: number): Promise<{ events: AdminEvent[]; last: number }> {
    if (this.seq <= after && timeoutMs > 0) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        this.waiters.add(done);
      });
    }
    return { events: this.events.filter((e) => e.seq > after), last: this.seq };
  }

  dispose(): void {
    for (const w of [...this.waiters]) w();
  }

  private push(event: DistributiveOmit<AdminEvent, 'seq'>): void {
    this.events.push({ ...event, seq: ++this.seq } as AdminEvent);
    if (this.events.length > this.capacity) this.events.splice(0, this.events.length - this.capacity);
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const w of waiting) w();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function pushKey(p: { qube: string; service: string; generation: number }): string {
  return `${p.qube} ${p.service} ${p.generation}`;
}

import type { QnetdEvent } from '../../services/admin/admin-schemas';
import type { ReconcilerEvent } from '../reconciler/reconciler-events';

/**
 * The last `capacity` push events, numbered, for clients that poll the admin
 * socket (one call per connection, so events are fetched, not streamed).
 */
export class EventLog {
  private readonly events: QnetdEvent[] = [];
  private seq = -1;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly capacity = 4096) {}

  get last(): number {
    return this.seq;
  }

  append(event: ReconcilerEvent): void {
    this.events.push({ ...event, seq: ++this.seq });
    if (this.events.length > this.capacity) this.events.splice(0, this.events.length - this.capacity);
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const w of waiting) w();
  }

  /** Events numbered above `after`; waits up to `timeoutMs` when there are none yet. */
  async after(after: number, timeoutMs: number): Promise<{ events: QnetdEvent[]; last: number }> {
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
}

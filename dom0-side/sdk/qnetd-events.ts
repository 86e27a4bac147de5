import type { QnetdEvent } from '../../services/admin/admin-schemas';
import { PollEvents } from '../../services/admin/admin-services';
import type { AdminConnection } from './admin-connection';

export type EventName = QnetdEvent['type'] | '*';
export type EventListener = (event: QnetdEvent) => void;

const POLL_TIMEOUT_MS = 5_000;
const RETRY_DELAY_MS = 1_000;

/**
 * `app.events`: push events from qnetd. The admin socket answers one call
 * per connection, so this long-polls `qnet.admin.Events` while anyone
 * listens; the poll never keeps the process alive. Events from before the
 * first listener are not replayed. `push-failed` comes once per push request,
 * when its first tries all failed, with `nextRetryAt` (qnetd keeps retrying);
 * `push-done` comes at every acknowledgement, with the firewall rules the
 * provider could not install (`ruleFailures`: client, rule number, text, reason).
 */
export class QnetdEvents {
  private readonly listeners = new Map<EventName, Set<EventListener>>();
  private polling = false;
  private closed = false;
  private cursor: number | undefined;

  constructor(private readonly admin: AdminConnection) {}

  on(name: EventName, listener: EventListener): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener);
    if (!this.polling && !this.closed) void this.poll();
    return () => this.off(name, listener);
  }

  off(name: EventName, listener: EventListener): void {
    this.listeners.get(name)?.delete(listener);
  }

  /** Resolves once the poll knows where "now" is: events after this are delivered. */
  async ready(): Promise<void> {
    if (this.cursor !== undefined) return;
    this.cursor = (await this.admin.call(PollEvents, { after: -1, timeoutMs: 0 })).last;
  }

  close(): void {
    this.closed = true;
  }

  private get listening(): boolean {
    return [...this.listeners.values()].some((s) => s.size > 0);
  }

  private async poll(): Promise<void> {
    this.polling = true;
    try {
      while (!this.closed && this.listening) {
        try {
          await this.ready();
          const { events, last } = await this.admin.call(
            PollEvents,
            { after: this.cursor!, timeoutMs: POLL_TIMEOUT_MS },
            { background: true, timeoutMs: POLL_TIMEOUT_MS + 10_000 },
          );
          // A restarted qnetd numbers from zero again.
          this.cursor = last < this.cursor! ? -1 : last;
          for (const e of events) this.dispatch(e);
        } catch {
          await new Promise((r) => setTimeout(r, RETRY_DELAY_MS).unref());
        }
      }
    } finally {
      this.polling = false;
    }
  }

  private dispatch(event: QnetdEvent): void {
    if (this.closed) return;
    for (const name of [event.type, '*'] as const) {
      for (const listener of this.listeners.get(name) ?? []) listener(event);
    }
  }
}

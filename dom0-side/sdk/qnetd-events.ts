import type { AdminEvent, QnetdEvent, QubeEvent } from '../../services/admin/admin-schemas';
import { PollEvents } from '../../services/admin/admin-services';
import type { AdminConnection } from './admin-connection';

/** `push-done`, `push-failed`, or `*` for both. */
export type PushEventName = QnetdEvent['type'] | '*';
/**
 * A qube event as qubesadmin names it (`property-set:netvm`, `domain-start`,
 * `domain-shutdown`, `feature-set:ipv6`, `firewall-changed`, …), a prefix
 * wildcard (`feature-set:*`, `property-set:*`), or `qube:*` for all of them.
 */
export type QubeEventName = string;
export type EventName = PushEventName | QubeEventName;
export type EventListener = (event: QnetdEvent) => void;
export type QubeEventListener = (event: QubeEvent) => void;
type AnyListener = (event: AdminEvent) => void;

const POLL_TIMEOUT_MS = 5_000;
const RETRY_DELAY_MS = 1_000;

/**
 * `app.events`: push events from qnetd. The admin socket answers one call
 * per connection, so this long-polls `qnet.admin.Events` while anyone
 * listens; the poll never keeps the process alive. Events from before the
 * first listener are not replayed. `push-failed` comes once per push request,
 * when its first tries all failed, with `nextRetryAt` (qnetd keeps retrying);
 * `push-done` comes at each acknowledgement, with the firewall rules the
 * provider could not install (`ruleFailures`: client, rule number, text, reason).
 * Every push event has a `cause`: the same string as the qube event (a
 * `property-set:netvm`, a `domain-start`…) whose change made that push, or
 * what else did (`qnetd start`, `qnet push`). Qube events come through their
 * qubesadmin names; `*` stays the push events only.
 */
export class QnetdEvents {
  private readonly listeners = new Map<string, Set<AnyListener>>();
  private polling = false;
  private closed = false;
  private cursor: number | undefined;

  constructor(private readonly admin: AdminConnection) {}

  on(name: PushEventName, listener: EventListener): () => void;
  on(name: QubeEventName, listener: QubeEventListener): () => void;
  on(name: string, listener: EventListener | QubeEventListener): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener as AnyListener);
    if (!this.polling && !this.closed) void this.poll();
    return () => this.off(name, listener);
  }

  off(name: string, listener: EventListener | QubeEventListener): void {
    this.listeners.get(name)?.delete(listener as AnyListener);
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

  private dispatch(event: AdminEvent): void {
    if (this.closed) return;
    const names =
      event.type === 'qube-event'
        ? [event.event, 'qube:*', ...(event.event.includes(':') ? [`${event.event.split(':')[0]}:*`] : [])]
        : [event.type, '*'];
    for (const name of names) {
      for (const listener of this.listeners.get(name) ?? []) listener(event);
    }
  }
}

import type { Logger } from '../../shared/logging/logger';
import { describeInventoryEvent } from './describe-inventory-event';
import type { EventsConnection, QubesdClient } from './qubesd-client';
import type { QubesdConfig } from './qubesd-config';
import type { QubesdEvent } from './qubesd-event';

/** At most this many distinct reasons are named in one notification; the rest are counted. */
const MAX_NAMED_REASONS = 3;

/**
 * Follows `admin.Events` for as long as it runs: relevant events become one
 * `onChange(reason)` per burst, and every (re)connection asks for a full
 * resync, since qubesd replays nothing that happened while no one listened.
 */
export class QubesdEventWatcher {
  private connection: EventsConnection | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private coalesceTimer: NodeJS.Timeout | undefined;
  private pending: string[] = [];
  private delayMs: number;
  private connectedOnce = false;
  private running = false;
  private established = false;
  private changes = 0;

  constructor(
    private readonly client: QubesdClient,
    private readonly config: QubesdConfig,
    private readonly logger: Logger,
    private readonly onChange: (reason: string) => void,
  ) {
    this.delayMs = config.reconnectMinMs;
  }

  /** True while events flow: nothing qubesd does can go unnoticed. */
  get connected(): boolean {
    return this.established;
  }

  /**
   * Counts relevant events and connection changes as they arrive, before
   * coalescing: an inventory read while this stayed put and `connected` held
   * is still current.
   */
  get epoch(): number {
    return this.changes;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.connect();
  }

  stop(): void {
    this.running = false;
    this.established = false;
    this.changes++;
    this.connection?.close();
    this.connection = undefined;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.coalesceTimer);
    this.reconnectTimer = this.coalesceTimer = undefined;
    this.pending = [];
  }

  private connect(): void {
    this.reconnectTimer = undefined;
    if (!this.running) return;
    this.connection = this.client.openEvents({
      onEvent: (event) => this.handle(event),
      onClose: (error) => this.lost(error),
    });
  }

  private handle(event: QubesdEvent): void {
    if (event.subject === null && event.event === 'connection-established') {
      this.delayMs = this.config.reconnectMinMs;
      this.established = true;
      this.changes++;
      this.queue(this.connectedOnce ? 'full resync after events reconnect' : 'full resync: events connected');
      this.connectedOnce = true;
      return;
    }
    const reason = describeInventoryEvent(event);
    if (reason === undefined) return;
    this.changes++;
    this.queue(reason);
  }

  private lost(error: Error | undefined): void {
    this.connection = undefined;
    this.established = false;
    this.changes++;
    if (!this.running) return;
    const delay = this.delayMs;
    this.delayMs = Math.min(this.delayMs * 2, this.config.reconnectMaxMs);
    this.logger.warn('qubesd events connection lost; reconnecting', {
      error: error?.message ?? 'closed by qubesd',
      delayMs: delay,
    });
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private queue(reason: string): void {
    if (!this.pending.includes(reason)) this.pending.push(reason);
    this.coalesceTimer ??= setTimeout(() => this.flush(), this.config.coalesceMs);
  }

  private flush(): void {
    this.coalesceTimer = undefined;
    const reasons = this.pending;
    this.pending = [];
    if (reasons.length === 0 || !this.running) return;
    const named = reasons.slice(0, MAX_NAMED_REASONS).join(', ');
    const more = reasons.length - MAX_NAMED_REASONS;
    this.onChange(more > 0 ? `${named} (+${more} more)` : named);
  }
}

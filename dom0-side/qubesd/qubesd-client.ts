import { token } from '../../shared/di/token';
import type { QubesdCall } from './qubesd-request';
import type { QubesdEvent } from './qubesd-event';

export interface EventsSubscriber {
  onEvent(event: QubesdEvent): void;
  /** The stream ended: `error` is undefined for a clean EOF. Not called after `close()`. */
  onClose(error: Error | undefined): void;
}

export interface EventsConnection {
  close(): void;
}

/** qubesd's Admin API: one call per connection, and the `admin.Events` stream. */
export interface QubesdClient {
  /** The reply's value bytes; a qubesd exception becomes a QubesdError. */
  call(call: QubesdCall): Promise<Buffer>;
  openEvents(subscriber: EventsSubscriber): EventsConnection;
}
export const QubesdClient = token<QubesdClient>('QubesdClient');

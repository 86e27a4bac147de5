import { token } from '../../shared/di/token';

export interface QubesdConfig {
  /** qubesd's Admin API socket (`QubesAdminAPI.SOCKNAME`). */
  readonly socketPath: string;
  /** A reply beyond this fails the call: qubesd is trusted, but a bug must not exhaust qnetd's memory. */
  readonly maxReplyBytes: number;
  readonly callTimeoutMs: number;
  /** Calls in flight during a full read; qubesd serves them one event-loop turn at a time. */
  readonly concurrency: number;
  /** Events closer together than this become one notification. */
  readonly coalesceMs: number;
  /** Reconnect delay after the events connection drops: doubles from min up to max. */
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
}
export const QubesdConfig = token<QubesdConfig>('QubesdConfig');

export const DEFAULT_QUBESD_CONFIG: QubesdConfig = Object.freeze({
  socketPath: '/var/run/qubesd.sock',
  maxReplyBytes: 4 * 1024 * 1024,
  callTimeoutMs: 30_000,
  concurrency: 16,
  coalesceMs: 50,
  reconnectMinMs: 100,
  reconnectMaxMs: 5_000,
});

/**
 * What the runtime knows about a call. Filled only from the qrexec
 * environment or the socket descriptor, never from the payload: the source is
 * whatever qrexec says it is.
 */
export interface CallContext {
  readonly service: string;
  /** Empty when the caller gave no `+ARG`. */
  readonly argument: string;
  /** `QREXEC_REMOTE_DOMAIN`: trusted, set by dom0. */
  readonly source: string;
  /** Only known in dom0 (`name` or `keyword` targets); keywords lose their `@` on the wire. */
  readonly requestedTarget?: { readonly type: 'name' | 'keyword'; readonly value: string };
}

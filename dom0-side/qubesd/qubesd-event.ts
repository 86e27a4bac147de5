/** One event from `admin.Events`, as qubesadmin's EventsDispatcher hands it to handlers. */
export interface QubesdEvent {
  /** The qube the event is about, or null for the app itself (domain-add, connection-established). */
  readonly subject: string | null;
  /** e.g. `domain-start`, `property-set:netvm`, `domain-feature-set:ipv6`. */
  readonly event: string;
  /** Keyword arguments, every value as `str(v)` (a qube as its name, None as `None`). */
  readonly kwargs: Readonly<Record<string, string>>;
}

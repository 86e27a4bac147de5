/** What an agent's answer to a push says, whatever the service. */
export interface PushReply {
  /** The generation the qube holds now. */
  readonly appliedGeneration: number;
  /** FirewallSync: rules that could not be installed. */
  readonly failures?: readonly { client: string; rule?: number; message: string }[];
  /** DnsUpdate: the qube's own DNS override is in force; the document is held until it is cleared. */
  readonly localOverride?: readonly string[];
}

/**
 * The reply was checked against the service's response schema already; this only picks the fields the
 * reconciler acts on. (A slow apply is an error envelope, TIMEOUT_APPLIED_LATER, not a reply.)
 */
export function readReply(result: unknown): PushReply {
  const r = result as Record<string, unknown>;
  return {
    appliedGeneration: r.appliedGeneration as number,
    ...(Array.isArray(r.failures) ? { failures: r.failures as PushReply['failures'] } : {}),
    ...(Array.isArray(r.localOverride) ? { localOverride: r.localOverride as string[] } : {}),
  };
}

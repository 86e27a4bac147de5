/** What an agent's answer to a push says, whatever the service. */
export interface PushReply {
  /** The generation the qube holds now. */
  readonly appliedGeneration: number;
  /** The qube accepted this generation and applies it later (a slow apply): not yet an acknowledgement. */
  readonly applyingGeneration?: number;
  /** FirewallSync: rules that could not be installed. */
  readonly failures?: readonly { client: string; rule?: number; message: string }[];
}

const isGeneration = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * The reply was checked against the service's response schema already; this only picks the fields the
 * reconciler acts on. An "accepted, applying generation N" answer may name N as `applyingGeneration` or
 * `applying`.
 */
export function readReply(result: unknown): PushReply {
  const r = result as Record<string, unknown>;
  const applying = isGeneration(r.applyingGeneration) ? r.applyingGeneration : r.applying;
  return {
    appliedGeneration: r.appliedGeneration as number,
    ...(isGeneration(applying) ? { applyingGeneration: applying } : {}),
    ...(Array.isArray(r.failures) ? { failures: r.failures as PushReply['failures'] } : {}),
  };
}

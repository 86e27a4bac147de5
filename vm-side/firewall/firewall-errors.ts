import { ApplyFailedError } from '../../shared/errors/qnet-error';

/** The kernel refused even the fail-closed fallback; the previous ruleset is still in place (nft is atomic). */
export class FirewallNotAppliedError extends ApplyFailedError {
  constructor(detail: string, options?: ErrorOptions) {
    super(`firewall could not be applied: ${detail}`, options);
  }
}

/** First line of an error, bounded: nft's stderr may be long, and it ends up in a response. */
export function describeCause(err: unknown, max = 300): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n')[0] ?? '').slice(0, max);
}

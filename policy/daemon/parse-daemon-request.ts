/** A request on the policy-daemon socket, as qrexec-daemon sends it. */
export interface DaemonRequest {
  readonly source: string;
  readonly intendedTarget: string;
  readonly serviceAndArg: string;
  readonly assumeYesForAsk?: boolean;
  readonly justEvaluate?: boolean;
  readonly requestedSource?: string;
}

const REQUIRED = ['source', 'intended_target', 'service_and_arg'] as const;
const OPTIONAL = ['assume_yes_for_ask', 'just_evaluate', 'requested_source'] as const;
const ALLOWED: readonly string[] = [...REQUIRED, ...OPTIONAL];
const BOOLEAN: readonly string[] = ['assume_yes_for_ask', 'just_evaluate'];

/**
 * Accumulates `key=value` lines. `push` returns false when the request is
 * malformed: upstream then closes the connection without a reply.
 */
export class DaemonRequestReader {
  private readonly values = new Map<string, string | boolean>();
  private ended = false;

  get complete(): boolean {
    return this.ended;
  }

  /** One line without its `\n`; an empty line ends the request. */
  push(untrustedLine: Buffer): boolean {
    if (untrustedLine.some((b) => b > 0x7f)) return false;
    const line = untrustedLine.toString('latin1');
    if (line === '') {
      this.ended = true;
      return true;
    }
    const eq = line.indexOf('=');
    if (eq < 0) return false;
    const key = line.slice(0, eq);
    let value: string | boolean = line.slice(eq + 1);
    if (this.values.has(key) || !ALLOWED.includes(key)) return false;
    if (BOOLEAN.includes(key)) {
      if (value !== 'yes' && value !== 'no') return false;
      value = value === 'yes';
    }
    this.values.set(key, value);
    return true;
  }

  /** The request, or null when a required key is missing. */
  finish(): DaemonRequest | null {
    if (!REQUIRED.every((k) => this.values.has(k))) return null;
    const s = (k: string) => this.values.get(k) as string;
    const b = (k: string) => this.values.get(k) as boolean | undefined;
    return {
      source: s('source'),
      intendedTarget: s('intended_target'),
      serviceAndArg: s('service_and_arg'),
      assumeYesForAsk: b('assume_yes_for_ask'),
      justEvaluate: b('just_evaluate'),
      requestedSource: this.values.get('requested_source') as string | undefined,
    };
  }
}

/** `SERVICE+ARG`: the first `+` splits, and the argument keeps it; none given means `+`. */
export function splitServiceAndArg(serviceAndArg: string): { service: string; argument: string } {
  const i = serviceAndArg.indexOf('+');
  return i < 0
    ? { service: serviceAndArg, argument: '+' }
    : { service: serviceAndArg.slice(0, i), argument: serviceAndArg.slice(i) };
}

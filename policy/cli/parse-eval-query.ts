import type { PolicyRequest } from '../evaluator/evaluate';
import { splitServiceAndArg } from '../daemon/parse-daemon-request';

/** One query of `qnet policy eval`, parsed; `problem` says why it cannot be evaluated. */
export interface EvalQuery {
  readonly id: unknown;
  readonly request: PolicyRequest;
  readonly askResponse?: string | undefined;
  readonly problem?: string;
}

const EMPTY_REQUEST: PolicyRequest = { service: '', argument: '+', source: '', target: '@default' };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const optString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** An absent, null or empty argument is `+`; one given without its `+` gets it. */
function normaliseArgument(v: unknown): string {
  if (typeof v !== 'string' || v === '') return '+';
  return v.startsWith('+') ? v : `+${v}`;
}

export function parseEvalQuery(untrustedLine: string): EvalQuery {
  let untrusted: unknown;
  try {
    untrusted = JSON.parse(untrustedLine);
  } catch {
    return { id: null, request: EMPTY_REQUEST, problem: 'query is not valid JSON' };
  }
  if (!isRecord(untrusted)) return { id: null, request: EMPTY_REQUEST, problem: 'query is not a JSON object' };
  const id = untrusted.id ?? null;
  let service: string;
  let argument: string;
  if (typeof untrusted.service_and_arg === 'string') {
    ({ service, argument } = splitServiceAndArg(untrusted.service_and_arg));
  } else if (typeof untrusted.service === 'string') {
    service = untrusted.service;
    argument = normaliseArgument(untrusted.argument);
  } else {
    return { id, request: EMPTY_REQUEST, problem: 'query has neither "service" nor "service_and_arg"' };
  }
  if (typeof untrusted.source !== 'string') return { id, request: EMPTY_REQUEST, problem: 'query has no "source"' };
  const target = optString(untrusted.target) || '@default';
  return {
    id,
    request: {
      service,
      argument,
      source: untrusted.source,
      target,
      requestedSource: optString(untrusted.requested_source),
    },
    askResponse: optString(untrusted.ask_response),
  };
}

import { z } from 'zod';

export const SERVICE_NAME_RE = /^[A-Za-z0-9._-]{1,64}$/;
/** qrexec argument charset; the first `+` of `NAME+ARG` splits, so `+` may appear inside the argument. */
export const SERVICE_ARGUMENT_RE = /^[A-Za-z0-9+._-]{0,64}$/;

export type ArgumentRule = 'forbidden' | 'optional' | 'required';

/** qrexec's word for "whatever the policy says" (`user` in a VM, unless `user=` in the policy). */
export const DEFAULT_QREXEC_USER = 'DEFAULT';
/** `DEFAULT` or a POSIX user name, as qrexec passes it to PAM. */
export const QREXEC_USER_RE = /^(?:DEFAULT|[a-z_][a-z0-9_-]{0,31})$/;

export interface ServiceDefinition<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType> {
  /** qrexec service name, `[A-Za-z0-9._-]`. */
  readonly name: string;
  readonly summary: string;
  /** Strict object schemas: unknown keys are an error. */
  readonly request: Req;
  readonly response: Res;
  /** Enforced while reading, before decoding. */
  readonly maxRequestBytes: number;
  readonly maxResponseBytes: number;
  /** Whether `SERVICE+ARG` is accepted, and what the argument may look like. */
  readonly argument: ArgumentRule;
  readonly argumentPattern: RegExp;
  /**
   * The user the service runs as in the target: `root` for a service that changes the system (qrexec-client
   * then asks for `root:`, and `install` lays an rpc-config with force-user), `DEFAULT` otherwise.
   */
  readonly runAs: string;
}

export type AnyService = ServiceDefinition<z.ZodType, z.ZodType>;
export type RequestOf<S extends AnyService> = z.output<S['request']>;
/** What a caller may pass (before schema defaults and transforms). */
export type RequestInputOf<S extends AnyService> = z.input<S['request']>;
export type ResponseOf<S extends AnyService> = z.output<S['response']>;

export interface ServiceOptions<Req extends z.ZodType, Res extends z.ZodType> {
  name: string;
  summary: string;
  request: Req;
  response: Res;
  maxRequestBytes?: number;
  maxResponseBytes?: number;
  argument?: ArgumentRule;
  argumentPattern?: RegExp;
  runAs?: string;
}

export const DEFAULT_MAX_REQUEST_BYTES = 64 * 1024;
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

export function defineService<Req extends z.ZodType, Res extends z.ZodType>(
  def: ServiceOptions<Req, Res>,
): ServiceDefinition<Req, Res> {
  if (!SERVICE_NAME_RE.test(def.name)) throw new Error(`invalid service name ${JSON.stringify(def.name)}`);
  const maxRequestBytes = def.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  if (!Number.isInteger(maxRequestBytes) || maxRequestBytes < 1) throw new Error(`${def.name}: bad maxRequestBytes`);
  const runAs = def.runAs ?? DEFAULT_QREXEC_USER;
  if (!QREXEC_USER_RE.test(runAs)) throw new Error(`${def.name}: invalid runAs ${JSON.stringify(runAs)}`);
  return Object.freeze({
    name: def.name,
    summary: def.summary,
    request: def.request,
    response: def.response,
    maxRequestBytes,
    maxResponseBytes: def.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    argument: def.argument ?? 'forbidden',
    argumentPattern: def.argumentPattern ?? SERVICE_ARGUMENT_RE,
    runAs,
  });
}

/** Checks a qrexec argument against the definition; returns an error message or undefined. */
export function checkArgument(svc: AnyService, argument: string): string | undefined {
  if (argument === '') return svc.argument === 'required' ? `${svc.name} requires an argument` : undefined;
  if (svc.argument === 'forbidden') return `${svc.name} takes no argument`;
  if (!SERVICE_ARGUMENT_RE.test(argument) || !svc.argumentPattern.test(argument)) {
    return `invalid argument ${JSON.stringify(argument.slice(0, 64))} for ${svc.name}`;
  }
  return undefined;
}

/** Rejects duplicate names at start-up, as a router rejects duplicate paths. */
export function serviceRegistry<const T extends readonly AnyService[]>(services: T): ReadonlyMap<string, AnyService> {
  const map = new Map<string, AnyService>();
  for (const svc of services) {
    if (map.has(svc.name)) throw new Error(`duplicate service definition ${svc.name}`);
    map.set(svc.name, svc);
  }
  return map;
}

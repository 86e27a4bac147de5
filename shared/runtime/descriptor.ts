import { SERVICE_ARGUMENT_RE, SERVICE_NAME_RE } from '../contract/define-service';
import type { CallContext } from '../contract/call-context';
import { BadRequestError, quote } from '../errors/qnet-error';

/** qube names, plus dom0's own; 31 characters as Qubes allows. */
const DOMAIN_RE = /^[A-Za-z][A-Za-z0-9_.-]{0,30}$/;
/** A descriptor longer than this is not a descriptor. */
export const MAX_DESCRIPTOR_BYTES = 512;

/** Splits `NAME+ARG` at the first `+`: the argument may contain more. */
export function splitServiceName(full: string): { service: string; argument: string } {
  const plus = full.indexOf('+');
  return plus < 0 ? { service: full, argument: '' } : { service: full.slice(0, plus), argument: full.slice(plus + 1) };
}

export function checkServiceAndArgument(full: string): { service: string; argument: string } {
  const parts = splitServiceName(full);
  if (!SERVICE_NAME_RE.test(parts.service)) throw new BadRequestError(`invalid service name ${quote(parts.service)}`);
  if (!SERVICE_ARGUMENT_RE.test(parts.argument)) throw new BadRequestError(`invalid argument ${quote(parts.argument)}`);
  return parts;
}

/**
 * Parses the socket-form descriptor (without its NUL):
 * `SERVICE+ARG SOURCE` in a VM, `SERVICE+ARG SOURCE name|keyword TARGET` in dom0.
 */
export function parseDescriptor(untrustedDescriptor: string): CallContext {
  const fields = untrustedDescriptor.split(' ');
  if (fields.length !== 2 && fields.length !== 4) {
    throw new BadRequestError(`malformed descriptor ${quote(untrustedDescriptor)}`);
  }
  const { service, argument } = checkServiceAndArgument(fields[0]);
  const source = fields[1];
  if (!DOMAIN_RE.test(source)) throw new BadRequestError(`invalid source domain ${quote(source)}`);
  if (fields.length === 2) return { service, argument, source };
  const [, , type, target] = fields;
  if (type !== 'name' && type !== 'keyword') throw new BadRequestError(`invalid target type ${quote(type)}`);
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(target)) throw new BadRequestError(`invalid target ${quote(target)}`);
  return { service, argument, source, requestedTarget: { type, value: target } };
}

export function formatDescriptor(ctx: CallContext): string {
  const full = ctx.argument ? `${ctx.service}+${ctx.argument}` : ctx.service;
  const head = `${full} ${ctx.source}`;
  return ctx.requestedTarget ? `${head} ${ctx.requestedTarget.type} ${ctx.requestedTarget.value}` : head;
}

/** The executable form's context, from the environment qrexec sets. */
export function contextFromEnv(env: NodeJS.ProcessEnv, serviceName: string): CallContext {
  const source = env.QREXEC_REMOTE_DOMAIN ?? '';
  if (!DOMAIN_RE.test(source)) throw new BadRequestError('QREXEC_REMOTE_DOMAIN is missing or invalid');
  const full = env.QREXEC_SERVICE_FULL_NAME || serviceName;
  const parts = checkServiceAndArgument(full);
  const argument = env.QREXEC_SERVICE_ARGUMENT ?? parts.argument;
  const type = env.QREXEC_REQUESTED_TARGET_TYPE;
  const target = type === 'keyword' ? env.QREXEC_REQUESTED_TARGET_KEYWORD : env.QREXEC_REQUESTED_TARGET;
  const requestedTarget: CallContext['requestedTarget'] =
    (type === 'name' || type === 'keyword') && target ? { type, value: target.replace(/^@/, '') } : undefined;
  return { service: parts.service, argument, source, ...(requestedTarget ? { requestedTarget } : {}) };
}

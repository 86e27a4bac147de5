import { inject, injectable } from 'tsyringe';
import { checkArgument, type AnyService, type RequestInputOf, type ResponseOf } from '../contract/define-service';
import { decodeValue, describeDecodeFailure } from '../codec/decode-value';
import { encode } from '../codec/strict-unpackr';
import { BadReplyError, RemoteServiceError } from '../errors/client-errors';
import { describeIssue } from '../errors/describe-issue';
import { BadRequestError } from '../errors/qnet-error';
import { envelopeSchema } from '../envelope/envelope';
import { Transport } from './transport';

export interface CallOptions {
  argument?: string;
  timeoutMs?: number;
}

export const DEFAULT_CALL_TIMEOUT_MS = 30_000;

const envelopes = new WeakMap<AnyService, ReturnType<typeof envelopeSchema>>();
function replySchema(svc: AnyService) {
  let schema = envelopes.get(svc);
  if (!schema) envelopes.set(svc, (schema = envelopeSchema(svc.response)));
  return schema;
}

/** Remote text reaches terminals and logs: printable characters only. */
const printable = (untrusted: string) => untrusted.replace(/[^\x20-\x7e]/g, '?');

/** The typed caller: one service definition gives the request type, the reply check and the errors. */
@injectable()
export class ServiceClient {
  constructor(@inject(Transport) private readonly transport: Transport) {}

  async call<S extends AnyService>(
    svc: S,
    target: string,
    request: RequestInputOf<S>,
    opts: CallOptions = {},
  ): Promise<ResponseOf<S>> {
    const argument = opts.argument ?? '';
    const argError = checkArgument(svc, argument);
    if (argError) throw new BadRequestError(argError);
    const checked = svc.request.safeParse(request);
    if (!checked.success) throw new BadRequestError(`not sent: ${describeIssue(checked.error.issues[0])}`);
    const untrustedReply = await this.transport.invoke(
      target,
      argument ? `${svc.name}+${argument}` : svc.name,
      encode(checked.data),
      {
        timeoutMs: opts.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
        maxReplyBytes: svc.maxResponseBytes + 1024,
        runAs: svc.runAs,
      },
    );
    // The reply crossed a qube boundary too: same cap-decode-validate path as a request.
    const decoded = decodeValue(replySchema(svc), untrustedReply, svc.maxResponseBytes + 1024);
    if (!decoded.ok)
      throw new BadReplyError(`bad reply from ${target}: ${describeDecodeFailure(decoded.failure, 'reply')}`);
    const envelope = decoded.value as
      { ok: true; result: ResponseOf<S> } | { ok: false; error: { code: string; message: string } };
    if (!envelope.ok) {
      const code = printable(envelope.error.code);
      throw new RemoteServiceError(code, `${target}: ${code}: ${printable(envelope.error.message)}`);
    }
    return envelope.result;
  }
}

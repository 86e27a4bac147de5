import { inject, injectAll, injectable } from 'tsyringe';
import type { CallContext } from '../contract/call-context';
import { checkArgument, type AnyService } from '../contract/define-service';
import { ServiceHandler } from '../contract/service-handler';
import { decodeRequest } from '../codec/decode-request';
import { encode } from '../codec/strict-unpackr';
import { describeIssue } from '../errors/describe-issue';
import { exitCodeFor } from '../errors/codes';
import { BadRequestError, InternalError, QnetError, UnknownServiceError } from '../errors/qnet-error';
import { toWireError } from '../errors/to-wire-error';
import type { Envelope } from '../envelope/envelope';
import { Logger } from '../logging/logger';
import { oneLine } from '../errors/one-line';

export interface DispatchResult {
  /** The msgpack-encoded envelope to send back. */
  readonly reply: Buffer;
  /** For the executable form; the socket form always closes with 0. */
  readonly exitCode: number;
  readonly envelope: Envelope<unknown>;
}

/**
 * cap → decode → request.parse → handle → response.parse → envelope. The
 * one pipeline every call goes through, whichever form carried it; nothing
 * that happens inside can escape as a thrown error.
 */
@injectable()
export class ServiceDispatcher {
  private readonly handlers = new Map<string, ServiceHandler>();

  constructor(
    @injectAll(ServiceHandler) handlers: ServiceHandler[],
    @inject(Logger) private readonly log: Logger,
  ) {
    for (const h of handlers) {
      if (this.handlers.has(h.service.name)) throw new Error(`two handlers for ${h.service.name}`);
      this.handlers.set(h.service.name, h);
    }
  }

  serviceFor(name: string): AnyService | undefined {
    return this.handlers.get(name)?.service;
  }

  get serviceNames(): string[] {
    return [...this.handlers.keys()].sort();
  }

  /** Turns a failure that happened before dispatch (descriptor, read cap) into a reply. */
  failure(err: unknown, ctx?: Partial<CallContext>): DispatchResult {
    return this.reply({ ok: false, error: toWireError(err) }, err, ctx);
  }

  async dispatch(ctx: CallContext, untrustedBytes: Uint8Array): Promise<DispatchResult> {
    try {
      const handler = this.handlers.get(ctx.service);
      if (!handler) throw new UnknownServiceError(ctx.service);
      const argError = checkArgument(handler.service, ctx.argument);
      if (argError) throw new BadRequestError(argError);
      const request = decodeRequest(handler.service, untrustedBytes);
      const result = await handler.handle(request, ctx);
      // Never send what our own schema rejects: a bad response is our bug, not the caller's.
      const checked = handler.service.response.safeParse(result);
      if (!checked.success) {
        throw new InternalError(`handler returned an invalid response: ${describeIssue(checked.error.issues[0])}`);
      }
      return this.reply({ ok: true, result: checked.data }, undefined, ctx);
    } catch (err) {
      return this.failure(err, ctx);
    }
  }

  private reply(envelope: Envelope<unknown>, err: unknown, ctx?: Partial<CallContext>): DispatchResult {
    const where = { service: ctx?.service, source: ctx?.source };
    if (err === undefined) this.log.debug('call served', where);
    else if (err instanceof QnetError && err.code !== 'INTERNAL') {
      this.log.warn(`call refused: ${err.code}: ${err.message}`, where);
    } else {
      // One line, never a stack: in the executable form stderr is relayed by qrexec to the caller.
      this.log.error(`call failed: ${oneLine(err)}`, where);
    }
    return { reply: encode(envelope), exitCode: envelope.ok ? 0 : exitCodeFor(envelope.error.code), envelope };
  }
}

import { inject, injectable } from 'tsyringe';
import { Ping } from '../../services/ping';
import type { CallContext } from '../contract/call-context';
import type { RequestOf, ResponseOf } from '../contract/define-service';
import type { ServiceHandler } from '../contract/service-handler';
import { token } from '../di/token';

/** The names of the services this process serves; the root registers it. */
export const ServedServices = token<readonly string[]>('ServedServices');
export const QNET_VERSION = '0.1.0';

@injectable()
export class PingHandler implements ServiceHandler<typeof Ping> {
  readonly service = Ping;

  constructor(@inject(ServedServices) private readonly served: readonly string[]) {}

  async handle(request: RequestOf<typeof Ping>, ctx: CallContext): Promise<ResponseOf<typeof Ping>> {
    return {
      ...(request.nonce !== undefined ? { nonce: request.nonce } : {}),
      caller: ctx.source,
      services: [...this.served],
      version: QNET_VERSION,
    };
  }
}

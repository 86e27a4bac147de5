import { token } from '../di/token';
import type { AnyService, RequestOf, ResponseOf } from './define-service';
import type { CallContext } from './call-context';

/** A handler sees a validated request and a runtime-filled context; never bytes. */
export interface ServiceHandler<S extends AnyService = AnyService> {
  readonly service: S;
  handle(request: RequestOf<S>, ctx: CallContext): Promise<ResponseOf<S>>;
}
export const ServiceHandler = token<ServiceHandler>('ServiceHandler');

import type { AnyService, RequestOf } from '../contract/define-service';
import { BadRequestError, PayloadTooLargeError } from '../errors/qnet-error';
import { decodeValue, describeDecodeFailure } from './decode-value';

export function decodeRequest<S extends AnyService>(svc: S, untrustedBytes: Uint8Array): RequestOf<S> {
  const result = decodeValue(svc.request, untrustedBytes, svc.maxRequestBytes);
  if (result.ok) return result.value as RequestOf<S>;
  if (result.failure.kind === 'too-large') throw new PayloadTooLargeError(result.failure.limit);
  throw new BadRequestError(describeDecodeFailure(result.failure, 'request'));
}

import { QnetError } from '../../shared/errors/qnet-error';

/** The inventory would break a Qubes rule (bad name, netvm loop, duplicate address, ...). */
export class InvalidInventoryError extends QnetError {
  readonly code = 'BAD_REQUEST';
}

import { ApplyFailedError, quote } from '../../shared/errors/qnet-error';

export class InterfaceNotFoundError extends ApplyFailedError {
  constructor(readonly mac: string) {
    super(`no interface with mac ${quote(mac)}`);
  }
}

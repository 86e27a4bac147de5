import { NoSuchServiceError, PolicyDeniedError, QrexecFailedError } from '../errors/client-errors';
import { QREXEC_EXIT } from './transport';

/**
 * What an exit status of the qrexec layer means for the caller. Other non-zero
 * codes come from an executable-form service, whose envelope on stdout says more,
 * so they are not errors here.
 */
export function qrexecStatusError(status: number, target: string, serviceAndArg: string): Error | undefined {
  switch (status) {
    case QREXEC_EXIT.REFUSED:
      return new PolicyDeniedError(target, serviceAndArg);
    case QREXEC_EXIT.NO_SERVICE:
      return new NoSuchServiceError(target, serviceAndArg);
    case QREXEC_EXIT.FAILED:
      return new QrexecFailedError(target, serviceAndArg, 'qrexec reported a failure (125)');
    default:
      return undefined;
  }
}

import { inject, injectable } from 'tsyringe';
import { DEFAULT_QREXEC_USER, QREXEC_USER_RE } from '../contract/define-service';
import { BadRequestError } from '../errors/qnet-error';
import { ProcessTransport } from './process-transport';
import { QrexecBinaries } from './qrexec-binaries';
import type { InvokeOptions } from './transport';

/**
 * From dom0: qrexec-client starts the service in the target directly, as dom0 may, and as the user the
 * service's definition names: `root:` for qnet's services, which change the qube's network (with
 * `DEFAULT:` they would run as `user` and fail on the first sysctl), as upstream calls its root services.
 */
@injectable()
export class QrexecClientTransport extends ProcessTransport {
  constructor(@inject(QrexecBinaries) private readonly bins: QrexecBinaries) {
    super();
  }

  protected command(target: string, serviceAndArg: string, opts: InvokeOptions) {
    const user = opts.runAs ?? DEFAULT_QREXEC_USER;
    // It becomes part of qrexec-client's command line: nothing but a user name may get there.
    if (!QREXEC_USER_RE.test(user))
      throw new BadRequestError(`invalid qrexec user ${JSON.stringify(user.slice(0, 40))}`);
    return { file: this.bins.client, args: ['-d', target, `${user}:QUBESRPC ${serviceAndArg} dom0`] };
  }
}

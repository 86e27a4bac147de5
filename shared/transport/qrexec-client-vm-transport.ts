import { inject, injectable } from 'tsyringe';
import { QrexecBinaries } from './qrexec-binaries';
import { ProcessTransport } from './process-transport';

/** From inside a qube; the policy in dom0 decides whether the call goes through, and as which user. */
@injectable()
export class QrexecClientVmTransport extends ProcessTransport {
  constructor(@inject(QrexecBinaries) private readonly bins: QrexecBinaries) {
    super();
  }

  protected command(target: string, serviceAndArg: string) {
    return { file: this.bins.clientVm, args: [target, serviceAndArg] };
  }
}

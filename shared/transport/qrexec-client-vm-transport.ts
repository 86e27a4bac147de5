import { inject, injectable } from 'tsyringe';
import { QrexecBinaries } from './qrexec-binaries';
import { ProcessTransport } from './process-transport';

// dom0-side/daemon/main.ts still imports these from here; drop this line once it imports ./qrexec-binaries.

/** From inside a qube; the policy in dom0 decides whether the call goes through. */
@injectable()
export class QrexecClientVmTransport extends ProcessTransport {
  constructor(@inject(QrexecBinaries) private readonly bins: QrexecBinaries) {
    super();
  }

  protected command(target: string, serviceAndArg: string) {
    return { file: this.bins.clientVm, args: [target, serviceAndArg] };
  }
}

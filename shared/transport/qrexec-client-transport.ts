import { inject, injectable } from 'tsyringe';
import { ProcessTransport } from './process-transport';
import { QrexecBinaries } from './qrexec-binaries';

/** From dom0: qrexec-client starts the service in the target directly, as dom0 may. */
@injectable()
export class QrexecClientTransport extends ProcessTransport {
  constructor(@inject(QrexecBinaries) private readonly bins: QrexecBinaries) {
    super();
  }

  protected command(target: string, serviceAndArg: string) {
    return { file: this.bins.client, args: ['-d', target, `DEFAULT:QUBESRPC ${serviceAndArg} dom0`] };
  }
}

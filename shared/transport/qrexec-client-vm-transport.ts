import { inject, injectable } from 'tsyringe';
import { token } from '../di/token';
import { ProcessTransport } from './process-transport';

export interface QrexecBinaries {
  /** In a VM: `qrexec-client-vm TARGET SERVICE[+ARG]`. */
  clientVm: string;
  /** In dom0: `qrexec-client -d TARGET DEFAULT:QUBESRPC SERVICE[+ARG] dom0`. */
  client: string;
}
export const QrexecBinaries = token<QrexecBinaries>('QrexecBinaries');
/** Looked up on PATH unless configuration says otherwise. */
export const DEFAULT_QREXEC_BINARIES: QrexecBinaries = { clientVm: 'qrexec-client-vm', client: 'qrexec-client' };

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

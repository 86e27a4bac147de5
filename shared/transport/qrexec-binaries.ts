import { token } from '../di/token';

/** The qrexec client binaries both process transports start; overridable by configuration. */
export interface QrexecBinaries {
  /** In a VM: `qrexec-client-vm TARGET SERVICE[+ARG]`. */
  clientVm: string;
  /** In dom0: `qrexec-client -d TARGET USER:QUBESRPC SERVICE[+ARG] dom0`. */
  client: string;
}
export const QrexecBinaries = token<QrexecBinaries>('QrexecBinaries');
/** Looked up on PATH unless configuration says otherwise. */
export const DEFAULT_QREXEC_BINARIES: QrexecBinaries = { clientVm: 'qrexec-client-vm', client: 'qrexec-client' };

import { QUBE_NAME_RE } from '../../services/schemas/qube-name';
import { PayloadTooLargeError, quote } from '../../shared/errors/qnet-error';

/** qubesd aborts a connection whose request (header and payload) exceeds this (`QubesDaemonProtocol.buffer_size`). */
export const QUBESD_MAX_REQUEST_BYTES = 65536;

/** One Admin API call as qubesadmin's `qubesd_call(dest, method, arg, payload)` takes it. */
export interface QubesdCall {
  readonly method: string;
  /** The `+ARG` part: a property, feature or tag name; '' for none. */
  readonly arg?: string;
  /** The qube the call is about; `dom0` for global calls such as admin.vm.List. */
  readonly dest: string;
  readonly payload?: Uint8Array | string;
}

const METHOD_RE = /^[A-Za-z0-9._-]+$/;
// qrexec allows these in a service argument, and qubesd splits method from argument at the first '+'.
const ARG_RE = /^[A-Za-z0-9._+-]*$/;

/** `admin.vm.feature.Get+ipv6 on sys-net`: how a call is named in errors and logs. */
export function describeCall(call: QubesdCall): string {
  return `${call.method}${call.arg ? `+${call.arg}` : ''} on ${call.dest}`;
}

/**
 * The bytes qubesadmin's `QubesLocal.qubesd_call` writes: the qrexec-style
 * header `METHOD+ARG dom0 name DEST\0` (always with the `+`, as qubesadmin
 * sends it), then the raw payload; the caller then shuts down its write side.
 */
export function encodeQubesdRequest(call: QubesdCall): Buffer {
  const arg = call.arg ?? '';
  if (!METHOD_RE.test(call.method)) throw new RangeError(`invalid Admin API method ${quote(call.method)}`);
  if (!ARG_RE.test(arg)) throw new RangeError(`invalid Admin API argument ${quote(arg)}`);
  if (call.dest !== 'dom0' && !QUBE_NAME_RE.test(call.dest)) {
    throw new RangeError(`invalid Admin API destination ${quote(call.dest)}`);
  }
  const header = Buffer.from(`${call.method}+${arg} dom0 name ${call.dest}\0`, 'ascii');
  const payload =
    call.payload === undefined
      ? Buffer.alloc(0)
      : typeof call.payload === 'string'
        ? Buffer.from(call.payload, 'utf8')
        : Buffer.from(call.payload);
  if (header.length + payload.length > QUBESD_MAX_REQUEST_BYTES)
    throw new PayloadTooLargeError(QUBESD_MAX_REQUEST_BYTES);
  return Buffer.concat([header, payload]);
}

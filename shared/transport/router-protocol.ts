/**
 * The simulated qrexec-daemon's client side. A caller connects to its own
 * qube's socket (that is how the router knows the source: it is never in the
 * bytes), writes `TARGET SERVICE[+ARG]` and a NUL, then the payload, then
 * EOF. The router answers one status byte (0 when the call was connected, or
 * qrexec's 125/126/127) followed by the service's bytes.
 */
export const ROUTER_MAX_HEADER_BYTES = 256;

export function formatRouterHeader(target: string, serviceAndArg: string): Buffer {
  return Buffer.from(`${target} ${serviceAndArg}\0`, 'latin1');
}

/** Target: a qube name, `@`-keyword or `uuid:`, as qrexec-client-vm accepts. */
export const ROUTER_TARGET_RE = /^(?:@?[A-Za-z][A-Za-z0-9_.:-]{0,63}|uuid:[0-9a-f-]{36})$/;

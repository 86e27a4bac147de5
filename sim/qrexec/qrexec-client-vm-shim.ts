#!/usr/bin/env node
/**
 * `qrexec-client-vm TARGET SERVICE[+ARG]` for the simulation: request on
 * stdin, reply on stdout, and qrexec's exit codes (126 refused, 127 no such
 * service, 125 failure), talking to the router over this qube's own socket
 * (`QNET_ROUTER_SOCKET`). Lets the real QrexecClientVmTransport run unchanged.
 */
import { connect } from 'node:net';
import { formatRouterHeader } from '../../shared/transport/router-protocol';

function main(): void {
  const [target, service] = process.argv.slice(2);
  const socketPath = process.env.QNET_ROUTER_SOCKET;
  if (!target || !service || !socketPath) {
    process.stderr.write('usage: QNET_ROUTER_SOCKET=PATH qrexec-client-vm TARGET SERVICE[+ARG]\n');
    process.exit(125);
  }
  const sock = connect(socketPath);
  let status: number | undefined;
  sock.once('connect', () => {
    sock.write(formatRouterHeader(target, service));
    process.stdin.pipe(sock);
  });
  sock.on('data', (chunk: Buffer) => {
    if (status === undefined) {
      status = chunk[0];
      chunk = chunk.subarray(1);
    }
    if (chunk.length) process.stdout.write(chunk);
  });
  sock.once('error', (err) => {
    // After a refusal the router stops reading, so our stdin copy may hit EPIPE: the status already received wins.
    if (status !== undefined) return;
    process.stderr.write(`qrexec-client-vm: ${err.message}\n`);
    process.exit(125);
  });
  sock.once('close', () => {
    process.stdout.end(() => process.exit(status ?? 125));
  });
}

main();

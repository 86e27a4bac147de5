#!/usr/bin/env node
/**
 * `qrexec-client-vm` for the simulation, with qrexec 4.4's command line and
 * behaviour (`qrexec-client-vm [options] TARGET SERVICE[+ARG] [LOCAL_PROGRAM
 * [ARGS]]`), talking to the router over this qube's own socket
 * (`QNET_ROUTER_SOCKET`, or `--agent-socket`). Lets the real
 * QrexecClientVmTransport run unchanged.
 *
 * As upstream: a refusal prints "Request refused" and exits 126; LOCAL_PROGRAM
 * starts only once the call is allowed, its stdin/stdout joined to the
 * service, stderr inherited, the caller's own stdin/stdout as SAVED_FD_0/1,
 * and its status is ours (128+N for signal N). Our stdout is only ever written:
 * it is inherited and may be shared with the calling shell (a socket, when a
 * qrexec service or a Node parent started it), so it is never shut down, and
 * `{ qrexec-client-vm …; echo after; } | cat` still prints "after".
 *
 * Unlike upstream: the router does not relay the remote service's exit code or
 * stderr, so a connected call without LOCAL_PROGRAM exits 0 (what a socket
 * service gives upstream) and -T has nothing to filter.
 */
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { basename, resolve } from 'node:path';
import { constants as osConstants } from 'node:os';
import { formatRouterHeader } from '../../shared/transport/router-protocol';
import {
  parseQrexecClientVmArgs,
  QCVM_EXIT_USAGE,
  QCVM_USAGE,
  QrexecClientVmUsage,
  replaceEscapeChars,
  type QrexecClientVmArgs,
} from './qrexec-client-vm-args';

/** perror's words for what execv(2) most often says, as upstream prints them. */
const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  ENOEXEC: 'Exec format error',
  ENOTDIR: 'Not a directory',
};

/** qrexec's statuses (QREXEC_EXIT_*), as the router sends them first. */
const REFUSED = 126;
const CONNECTED = 0;

function fail(status: number, message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(status);
}

/** Writes to our inherited stdout without ever ending it; a reader that went away only drops the output. */
function stdoutWriter(filter: boolean): { write(chunk: Buffer, source: Socket): void; flushed(): Promise<void> } {
  let broken = false;
  process.stdout.on('error', () => (broken = true));
  return {
    write(chunk, source) {
      if (broken) return;
      if (!process.stdout.write(filter ? replaceEscapeChars(chunk) : chunk)) {
        source.pause();
        process.stdout.once('drain', () => source.resume());
      }
    },
    flushed: () => new Promise((done) => (broken ? done() : process.stdout.write('', () => done()))),
  };
}

function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  return code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0);
}

/** After the router's status byte: the service's bytes to our stdout, our stdin to the service. */
function joinStdio(args: QrexecClientVmArgs, sock: Socket, first: Buffer): void {
  const out = stdoutWriter(args.filterStdout ?? Boolean(process.stdout.isTTY));
  if (first.length) out.write(first, sock);
  sock.on('data', (chunk: Buffer) => out.write(chunk, sock));
  process.stdin.on('error', () => sock.end());
  process.stdin.pipe(sock);
  sock.once('close', () => void out.flushed().then(() => process.exit(0)));
}

/** LOCAL_PROGRAM, exec'd by path as upstream's execv does (no PATH search), joined to the service. */
function joinLocalProgram(args: QrexecClientVmArgs, sock: Socket, first: Buffer): void {
  const [program, ...rest] = args.localProgram!;
  const passStderr = process.env.PASS_LOCAL_STDERR !== undefined;
  // fds 3, 4 (and 5) are our own stdin, stdout (and stderr), named by SAVED_FD_*, as upstream dup()s them.
  const saved = passStderr ? [0, 1, 2] : [0, 1];
  const child = spawn(resolve(program!), rest, {
    argv0: basename(program!),
    stdio: ['pipe', 'pipe', 'inherit', ...saved],
    env: {
      ...process.env,
      QREXEC_AGENT_PID: String(process.pid),
      ...Object.fromEntries(saved.map((fd, i) => [`SAVED_FD_${fd}`, String(3 + i)])),
    },
  });
  let status: number | undefined;
  let remoteClosed = false;
  const finish = () => {
    if (status !== undefined && remoteClosed) process.exit(status);
  };
  child.once('error', (err) => {
    process.stderr.write(`execv: ${STRERROR[(err as NodeJS.ErrnoException).code ?? ''] ?? err.message}\n`);
    status = 255;
    sock.destroy();
  });
  const [toProgram, fromProgram] = [child.stdin!, child.stdout!];
  toProgram.on('error', () => {});
  if (first.length) toProgram.write(first);
  sock.pipe(toProgram);
  fromProgram.pipe(sock);
  child.once('close', (code, signal) => {
    status ??= exitStatus(code, signal);
    sock.end();
    finish();
  });
  sock.once('close', () => {
    remoteClosed = true;
    finish();
  });
}

function main(argv: string[]): void {
  let args: QrexecClientVmArgs;
  try {
    args = parseQrexecClientVmArgs(argv);
  } catch (err) {
    if (!(err instanceof QrexecClientVmUsage)) throw err;
    // getopt's complaints carry the program name; upstream's own (a bad --buffer-size) do not.
    const prefix = err.exitCode === QCVM_EXIT_USAGE ? 'qrexec-client-vm: ' : '';
    if (err.message) process.stderr.write(`${prefix}${err.message}\n`);
    if (err.exitCode === QCVM_EXIT_USAGE && !err.unsupported) process.stderr.write(`${QCVM_USAGE}\n`);
    process.exit(err.exitCode);
  }
  if (args.help) {
    process.stdout.write(`${QCVM_USAGE}\n`);
    return;
  }
  const socketPath = args.agentSocket ?? process.env.QNET_ROUTER_SOCKET;
  if (!socketPath) fail(1, 'connect: QNET_ROUTER_SOCKET is not set (the simulated qrexec needs it)');

  const sock = connect(socketPath);
  let status: number | undefined;
  sock.once('connect', () => {
    sock.write(formatRouterHeader(args.target, args.service));
    if (args.prefixData) sock.write(args.prefixData);
  });
  sock.on('error', (err) => {
    // After a refusal the router stops reading, so what we still send may hit EPIPE: the status already received wins.
    if (status === undefined) fail(1, `connect: ${err.message}`);
  });
  // Nothing but the status byte until the call is allowed: LOCAL_PROGRAM must not start before.
  sock.once('data', (chunk: Buffer) => {
    status = chunk[0]!;
    const rest = chunk.subarray(1);
    if (status === REFUSED) fail(REFUSED, 'Request refused');
    if (status !== CONNECTED) {
      sock.destroy();
      process.exit(status);
    }
    if (args.localProgram) joinLocalProgram(args, sock, rest);
    else joinStdio(args, sock, rest);
  });
  // The router closed without an answer: upstream reads EOF from its daemon the same way.
  sock.once('end', () => {
    if (status === undefined) fail(REFUSED, 'Request refused');
  });
}

main(process.argv.slice(2));

import type { DependencyContainer } from 'tsyringe';
import type { CliIo } from '../cli/cli';
import { exitCodeFor } from '../errors/codes';
import { Logger } from '../logging/logger';
import { oneLine } from '../errors/one-line';
import { ServiceDispatcher } from './dispatcher';
import { serveExecutable } from './executable-server';
import { SocketServer } from './socket-server';
import { removeSocketWhenProcessDies, removeStaleSocket } from './stale-socket';
import { untilStopSignal } from './stop-signal';

/** How long the executable form waits for the caller's EOF (QNET_READ_TIMEOUT_MS overrides). */
export const EXECUTABLE_READ_TIMEOUT_MS = 10_000;

/**
 * `… service NAME [ARG]`: one call in the executable form; returns the exit code. qrexec relays this
 * process's stderr to the caller, so nothing here may reach it but one-line messages: even an error that
 * escapes every handler ends as an INTERNAL envelope and one line, never Node's stack trace.
 */
export async function runExecutableService(
  container: DependencyContainer,
  serviceName: string,
  io: CliIo,
  argvArgument?: string,
): Promise<number> {
  const dispatcher = container.resolve(ServiceDispatcher);
  let answered = false;
  const escaped = (err: unknown) => {
    io.stderr.write(`qnet: INTERNAL: ${oneLine(err)}\n`);
    process.exitCode = exitCodeFor('INTERNAL');
    // The process holds one call: once it is answered (or cannot be), nothing is left to wait for. Under
    // qrexec stdout is a socket, where node writes asynchronously: exit only once the reply is out.
    if (answered) setImmediate(() => process.exit());
    else io.stdout.write(dispatcher.failure(err).reply, () => process.exit());
  };
  // One call per process, so process-wide hooks are ours alone.
  process.on('uncaughtException', escaped);
  process.on('unhandledRejection', escaped);
  const code = await serveExecutable(dispatcher, {
    serviceName,
    argvArgument,
    env: io.env,
    stdin: io.stdin,
    stdout: io.stdout,
    readTimeoutMs: Number(io.env.QNET_READ_TIMEOUT_MS) || EXECUTABLE_READ_TIMEOUT_MS,
  });
  answered = true;
  // One call per process: a caller that never closes its end must not keep us alive after the answer.
  io.stdin.destroy();
  return code;
}

/**
 * `… serve --socket PATH`: serves until SIGTERM or SIGINT, then disposes the
 * container (sockets closed; nothing that filters traffic is removed).
 * `beforeServe` runs first, e.g. to converge saved state before any call.
 */
export async function runSocketService(
  container: DependencyContainer,
  socketPath: string,
  beforeServe?: () => Promise<void>,
): Promise<number> {
  const log = container.resolve(Logger);
  // While we converge, qrexec must find no socket (and fall back to the executable form), not a dead one.
  if (await removeStaleSocket(socketPath)) log.info('removed a stale socket left by a crash', { socketPath });
  if (beforeServe) await beforeServe();
  const server = container.resolve(SocketServer);
  await server.listen(socketPath);
  removeSocketWhenProcessDies(socketPath, log);
  await untilStopSignal(log);
  await server.dispose();
  await container.dispose();
  return 0;
}

import type { DependencyContainer } from 'tsyringe';
import type { CliIo } from '../cli/cli';
import { Logger } from '../logging/logger';
import { ServiceDispatcher } from './dispatcher';
import { serveExecutable } from './executable-server';
import { SocketServer } from './socket-server';
import { untilStopSignal } from './stop-signal';

/** How long the executable form waits for the caller's EOF (QNET_READ_TIMEOUT_MS overrides). */
export const EXECUTABLE_READ_TIMEOUT_MS = 10_000;

/** `… service NAME`: one call in the executable form; returns the exit code. */
export async function runExecutableService(
  container: DependencyContainer,
  serviceName: string,
  io: CliIo,
): Promise<number> {
  const dispatcher = container.resolve(ServiceDispatcher);
  const code = await serveExecutable(dispatcher, {
    serviceName,
    env: io.env,
    stdin: io.stdin,
    stdout: io.stdout,
    readTimeoutMs: Number(io.env.QNET_READ_TIMEOUT_MS) || EXECUTABLE_READ_TIMEOUT_MS,
  });
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
  if (beforeServe) await beforeServe();
  const server = container.resolve(SocketServer);
  await server.listen(socketPath);
  await untilStopSignal(log);
  await server.dispose();
  await container.dispose();
  return 0;
}

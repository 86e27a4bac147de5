import { createServer, type Server, type Socket } from 'node:net';
import { inject, injectable } from 'tsyringe';
import { readCapped } from '../codec/read-capped';
import { token } from '../di/token';
import { TimeoutError } from '../errors/qnet-error';
import { Logger } from '../logging/logger';
import { MAX_DESCRIPTOR_BYTES, parseDescriptor } from './descriptor';
import { ServiceDispatcher, type DispatchResult } from './dispatcher';
import { readNulHeader } from './read-header';
import { closeServer, listenUnix } from './unix-socket';

export interface SocketServerOptions {
  /** Deadline for one call, from accept to the reply: reading the request and the handler's work both count. */
  callTimeoutMs: number;
  /** Beyond this many open calls Node accepts and at once closes each new connection, so none queue in memory. */
  maxConnections: number;
  /** File mode of the socket; qrexec-daemon (root) connects, nobody else needs to. */
  mode: number;
}
export const SocketServerOptions = token<SocketServerOptions>('SocketServerOptions');
export const DEFAULT_SOCKET_SERVER_OPTIONS: SocketServerOptions = {
  callTimeoutMs: 10_000,
  maxConnections: 256,
  mode: 0o660,
};

/** After an early answer, how much more of the caller's bytes are read and dropped, and for how long. */
const DISCARD_LIMIT_BYTES = 1024 * 1024;
const DISCARD_GRACE_MS = 1000;

/**
 * We may answer before the caller's EOF (unknown service, oversize, timeout).
 * Closing at once would make the caller's pending writes fail with EPIPE and
 * could cost it the answer; instead the rest is read and dropped until its
 * EOF, within a byte and time bound, and then the connection goes.
 */
function discardRest(socket: Socket): void {
  let discarded = 0;
  const grace = setTimeout(() => socket.destroy(), DISCARD_GRACE_MS);
  grace.unref();
  socket.once('close', () => clearTimeout(grace));
  socket.once('end', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DISCARD_LIMIT_BYTES) socket.destroy();
  });
  socket.resume();
}

/**
 * The socket form (Qubes 4.1+): one long-running process serves every call.
 * Each connection is `descriptor NUL payload EOF`; we answer with the
 * envelope and close, which qrexec reports as exit code 0. One bad caller
 * costs one connection, never the server.
 */
@injectable()
export class SocketServer {
  private server: Server | undefined;
  private path: string | undefined;
  private readonly open = new Set<Socket>();

  constructor(
    @inject(ServiceDispatcher) private readonly dispatcher: ServiceDispatcher,
    @inject(SocketServerOptions) private readonly opts: SocketServerOptions,
    @inject(Logger) private readonly log: Logger,
  ) {}

  async listen(path: string): Promise<void> {
    // allowHalfOpen: the caller's EOF ends its request, not the connection; the reply still has to go back.
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => this.onConnection(socket));
    server.maxConnections = this.opts.maxConnections;
    await listenUnix(server, path, this.opts.mode);
    this.server = server;
    this.path = path;
    this.log.info(`serving ${this.dispatcher.serviceNames.join(', ')}`, { socket: path });
  }

  get connections(): number {
    return this.open.size;
  }

  private onConnection(socket: Socket): void {
    this.open.add(socket);
    socket.once('close', () => this.open.delete(socket));
    socket.on('error', (err) => this.log.debug(`connection error: ${err.message}`));
    let answered = false;
    const answer = (result: DispatchResult) => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      if (socket.destroyed) return;
      socket.end(result.reply);
      discardRest(socket);
    };
    const timer = setTimeout(
      () => answer(this.dispatcher.failure(new TimeoutError('call', this.opts.callTimeoutMs))),
      this.opts.callTimeoutMs,
    );
    timer.unref();
    this.serve(socket).then(answer, (err) => answer(this.dispatcher.failure(err)));
  }

  private async serve(socket: Socket): Promise<DispatchResult> {
    const { header, rest } = await readNulHeader(socket, MAX_DESCRIPTOR_BYTES);
    const ctx = parseDescriptor(header);
    const svc = this.dispatcher.serviceFor(ctx.service);
    if (!svc) return this.dispatcher.dispatch(ctx, Buffer.alloc(0));
    const bytes = await readCapped(socket, { limit: svc.maxRequestBytes, initial: rest });
    return this.dispatcher.dispatch(ctx, bytes);
  }

  async dispose(): Promise<void> {
    if (!this.server) return;
    const server = this.server;
    this.server = undefined;
    for (const s of this.open) s.destroy();
    await closeServer(server, this.path);
  }
}

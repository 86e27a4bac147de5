import { createServer, type Server, type Socket } from 'node:net';
import { inject, injectable } from 'tsyringe';
import { readCapped } from '../codec/read-capped';
import { token } from '../di/token';
import { TimeoutError, UnavailableError } from '../errors/qnet-error';
import { Logger } from '../logging/logger';
import {
  ConnectionAdmission,
  DEFAULT_ADMISSION_OPTIONS,
  UNATTRIBUTED,
  type AdmissionOptions,
  type AdmittedConnection,
} from './connection-admission';
import { MAX_DESCRIPTOR_BYTES, parseDescriptor } from './descriptor';
import { ServiceDispatcher, type DispatchResult } from './dispatcher';
import { readNulHeader } from './read-header';
import { closeServer, listenUnix } from './unix-socket';

export interface SocketServerOptions {
  /** Deadline for one call, from accept to the reply: reading the request and the handler's work both count. */
  callTimeoutMs: number;
  /** Who may read a request and for how long: total read deadline, per-source slots, fair queueing. */
  admission: AdmissionOptions;
  /** File mode of the socket; qrexec-daemon (root) connects, nobody else needs to. */
  mode: number;
}
export const SocketServerOptions = token<SocketServerOptions>('SocketServerOptions');
export const DEFAULT_SOCKET_SERVER_OPTIONS: SocketServerOptions = {
  callTimeoutMs: 10_000,
  admission: DEFAULT_ADMISSION_OPTIONS,
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
  private readonly admission: ConnectionAdmission;

  constructor(
    @inject(ServiceDispatcher) private readonly dispatcher: ServiceDispatcher,
    @inject(SocketServerOptions) private readonly opts: SocketServerOptions,
    @inject(Logger) private readonly log: Logger,
  ) {
    this.admission = new ConnectionAdmission(opts.admission);
  }

  async listen(path: string): Promise<void> {
    // allowHalfOpen: the caller's EOF ends its request, not the connection; the reply still has to go back.
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => this.onConnection(socket));
    await listenUnix(server, path, this.opts.mode);
    this.server = server;
    this.path = path;
    this.log.info(`serving ${this.dispatcher.serviceNames.join(', ')}`, { socket: path });
  }

  get connections(): number {
    return this.open.size;
  }

  private onConnection(socket: Socket): void {
    socket.on('error', (err) => this.log.debug(`connection error: ${err.message}`));
    let answered = false;
    const answer = (result: DispatchResult) => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      conn?.finish();
      if (socket.destroyed) return;
      socket.end(result.reply);
      discardRest(socket);
    };
    // A request that lost its slot (too slow, deadline) is answered with the reason and never dispatched.
    const conn = this.admission.accept(socket, (reason) => answer(this.dispatcher.failure(reason)));
    if (!conn) return;
    this.open.add(socket);
    socket.once('close', () => this.open.delete(socket));
    const timer = setTimeout(
      () => answer(this.dispatcher.failure(new TimeoutError('call', this.opts.callTimeoutMs))),
      this.opts.callTimeoutMs,
    );
    timer.unref();
    this.serve(conn, () => answered).then(answer, (err) => answer(this.dispatcher.failure(err)));
  }

  /**
   * The descriptor is read as an unattributed caller; it names the source
   * (qrexec writes it, the caller cannot), and the request is then read in
   * that source's turn. Only a request read in full, by a connection not yet
   * answered, reaches a handler.
   */
  private async serve(conn: AdmittedConnection, answered: () => boolean): Promise<DispatchResult> {
    const socket = conn.socket;
    await conn.read(UNATTRIBUTED);
    const { header, rest } = await readNulHeader(socket, MAX_DESCRIPTOR_BYTES);
    const ctx = parseDescriptor(header);
    const svc = this.dispatcher.serviceFor(ctx.service);
    if (!svc) return this.dispatcher.dispatch(ctx, Buffer.alloc(0));
    await conn.read(ctx.source);
    const bytes = await readCapped(socket, { limit: svc.maxRequestBytes, initial: rest });
    conn.doneReading();
    if (answered()) throw new UnavailableError('answered before the request was complete');
    return this.dispatcher.dispatch(ctx, bytes);
  }

  async dispose(): Promise<void> {
    if (!this.server) return;
    const server = this.server;
    this.server = undefined;
    this.admission.dispose();
    for (const s of this.open) s.destroy();
    await closeServer(server, this.path);
  }
}

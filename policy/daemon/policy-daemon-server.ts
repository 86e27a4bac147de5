import { createServer, type Server, type Socket } from 'node:net';
import {
  ConnectionAdmission,
  ONE_SOURCE_ADMISSION_OPTIONS,
  type AdmissionOptions,
  type AdmittedConnection,
} from '../../shared/runtime/connection-admission';
import { closeServer, listenUnix } from '../../shared/runtime/unix-socket';
import { evaluateRequest } from '../evaluator/evaluate';
import type { PolicySnapshotProvider } from '../policy-source';
import { DaemonRequestReader, splitServiceAndArg, type DaemonRequest } from './parse-daemon-request';
import { encodeDaemonAnswer, renderDaemonResponse } from './render-daemon-response';

/** asyncio's default line limit: a longer line made upstream's reader fail and drop the connection. */
const MAX_LINE_BYTES = 64 * 1024;
/**
 * The socket has no source to tell callers apart (every caller is a
 * qrexec-daemon), so all share one fair queue: qrexec-daemon writes its
 * request at once, a reader still incomplete after a second yields its slot
 * to a waiting caller, and no request may take longer than the total deadline.
 */
export const DAEMON_ADMISSION_OPTIONS: AdmissionOptions = ONE_SOURCE_ADMISSION_OPTIONS;
/** The one admission key: callers of this socket carry no identity. */
const DAEMON_CALLERS = 'qrexec-daemon';

/** Evaluates one daemon request against one snapshot and returns the reply text. */
export function answerDaemonRequest(provider: PolicySnapshotProvider, request: DaemonRequest): string {
  const { state, info } = provider.current();
  const { service, argument } = splitServiceAndArg(request.serviceAndArg);
  const evaluation = evaluateRequest(state, info, {
    service,
    argument,
    source: request.source,
    target: request.intendedTarget,
    requestedSource: request.requestedSource,
  });
  return encodeDaemonAnswer(
    renderDaemonResponse(evaluation, info, {
      justEvaluate: request.justEvaluate ?? false,
      assumeYesForAsk: request.assumeYesForAsk ?? false,
    }),
  );
}

function serveConnection(provider: PolicySnapshotProvider, conn: AdmittedConnection): void {
  const socket = conn.socket;
  const reader = new DaemonRequestReader();
  let pending = Buffer.alloc(0);
  let done = false;
  const drop = () => {
    done = true;
    conn.finish();
    socket.destroy();
  };
  const reply = () => {
    done = true;
    conn.doneReading();
    const request = reader.finish();
    if (request === null) return drop();
    let answer: string;
    try {
      answer = answerDaemonRequest(provider, request);
    } catch {
      // The evaluator turns every failure into a denial; should one still escape, this runs in a socket
      // event handler where a throw would end the daemon. Upstream's handler dies with the connection only.
      return drop();
    }
    conn.finish();
    socket.end(answer);
  };
  const onData = (chunk: Buffer) => {
    if (done) return;
    pending = Buffer.concat([pending, chunk]);
    let nl: number;
    while (!done && (nl = pending.indexOf(0x0a)) >= 0) {
      const line = pending.subarray(0, nl);
      pending = pending.subarray(nl + 1);
      if (!reader.push(line)) return drop();
      if (reader.complete) return reply();
    }
    if (pending.length > MAX_LINE_BYTES) drop();
  };
  const onEnd = () => {
    if (done) return;
    // EOF ends the request like an empty line; a last unterminated line still counts
    if (pending.length > 0 && !reader.push(pending)) return drop();
    reply();
  };
  socket.on('error', () => socket.destroy());
  // Nothing is read before this caller's turn; a refused or timed-out caller is dropped, as upstream drops a bad one.
  conn.read(DAEMON_CALLERS).then(() => {
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.resume();
  }, drop);
}

/** The policy-daemon socket of qrexec-daemon (`/var/run/qubes/policy.sock` upstream). */
export class PolicyDaemonServer {
  private readonly server: Server;
  private path: string | undefined;
  private readonly open = new Set<Socket>();
  private readonly admission: ConnectionAdmission;

  constructor(
    private readonly provider: PolicySnapshotProvider,
    admission: AdmissionOptions = DAEMON_ADMISSION_OPTIONS,
  ) {
    this.admission = new ConnectionAdmission(admission);
    this.server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => {
      const conn = this.admission.accept(socket, () => socket.destroy());
      if (!conn) return;
      this.open.add(socket);
      socket.once('close', () => this.open.delete(socket));
      serveConnection(this.provider, conn);
    });
  }

  async listen(path: string, mode = 0o660): Promise<void> {
    await listenUnix(this.server, path, mode);
    this.path = path;
  }

  async dispose(): Promise<void> {
    // server.close() waits for every connection, and a caller that never finishes its request would hold it forever.
    this.admission.dispose();
    for (const s of this.open) s.destroy();
    await closeServer(this.server, this.path);
    this.path = undefined;
  }
}

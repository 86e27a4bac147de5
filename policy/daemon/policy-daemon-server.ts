import { createServer, type Server, type Socket } from 'node:net';
import { closeServer, listenUnix } from '../../shared/runtime/unix-socket';
import { evaluateRequest } from '../evaluator/evaluate';
import type { PolicySnapshotProvider } from '../policy-source';
import { DaemonRequestReader, splitServiceAndArg, type DaemonRequest } from './parse-daemon-request';
import { encodeDaemonAnswer, renderDaemonResponse } from './render-daemon-response';

/** asyncio's default line limit: a longer line made upstream's reader fail and drop the connection. */
const MAX_LINE_BYTES = 64 * 1024;
/**
 * qrexec-daemon writes its request at once; a caller silent this long is
 * gone or hostile, and its connection is dropped rather than held forever.
 */
export const DAEMON_IDLE_TIMEOUT_MS = 10_000;
/** Beyond this many open connections new ones are closed at once (node's maxConnections). */
export const DAEMON_MAX_CONNECTIONS = 256;

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

function serveConnection(provider: PolicySnapshotProvider, socket: Socket): void {
  const reader = new DaemonRequestReader();
  let pending = Buffer.alloc(0);
  let done = false;
  const drop = () => {
    done = true;
    socket.destroy();
  };
  const reply = () => {
    done = true;
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
    socket.end(answer);
  };
  socket.on('data', (chunk: Buffer) => {
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
  });
  socket.on('end', () => {
    if (done) return;
    // EOF ends the request like an empty line; a last unterminated line still counts
    if (pending.length > 0 && !reader.push(pending)) return drop();
    reply();
  });
  socket.on('error', () => socket.destroy());
  socket.setTimeout(DAEMON_IDLE_TIMEOUT_MS, drop);
}

/** The policy-daemon socket of qrexec-daemon (`/var/run/qubes/policy.sock` upstream). */
export class PolicyDaemonServer {
  private readonly server: Server;
  private path: string | undefined;
  private readonly open = new Set<Socket>();

  constructor(private readonly provider: PolicySnapshotProvider) {
    this.server = createServer({ allowHalfOpen: true }, (socket) => {
      this.open.add(socket);
      socket.once('close', () => this.open.delete(socket));
      serveConnection(this.provider, socket);
    });
    this.server.maxConnections = DAEMON_MAX_CONNECTIONS;
  }

  async listen(path: string, mode = 0o660): Promise<void> {
    await listenUnix(this.server, path, mode);
    this.path = path;
  }

  async dispose(): Promise<void> {
    // server.close() waits for every connection, and a caller that never finishes its request would hold it forever.
    for (const s of this.open) s.destroy();
    await closeServer(this.server, this.path);
    this.path = undefined;
  }
}

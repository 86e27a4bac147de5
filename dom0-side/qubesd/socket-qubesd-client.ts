import { connect, type Socket } from 'node:net';
import { inject, injectable } from 'tsyringe';
import { readCapped } from '../../shared/codec/read-capped';
import { EventStreamParser } from './event-stream-parser';
import type { EventsConnection, EventsSubscriber, QubesdClient } from './qubesd-client';
import { QubesdConfig } from './qubesd-config';
import { QubesdNoReplyError, QubesdUnavailableError } from './qubesd-errors';
import { describeCall, encodeQubesdRequest, type QubesdCall } from './qubesd-request';
import { parseQubesdReply } from './qubesd-reply';

const UNAVAILABLE_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ENOTSOCK']);
// qubesd's `transport.abort()` can reach us as a reset rather than an EOF.
const ABORTED_CODES = new Set(['ECONNRESET', 'EPIPE']);

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/** Talks to qubesd over its Unix socket exactly as qubesadmin's QubesLocal does. */
@injectable()
export class SocketQubesdClient implements QubesdClient {
  constructor(@inject(QubesdConfig) private readonly config: QubesdConfig) {}

  async call(call: QubesdCall): Promise<Buffer> {
    const request = encodeQubesdRequest(call);
    const what = describeCall(call);
    const socket = this.send(request);
    try {
      const reply = await readCapped(socket, {
        limit: this.config.maxReplyBytes,
        timeoutMs: this.config.callTimeoutMs,
        what,
      });
      return parseQubesdReply(reply, what);
    } catch (err) {
      throw this.mapSocketError(err, what);
    } finally {
      socket.destroy();
    }
  }

  openEvents(subscriber: EventsSubscriber): EventsConnection {
    const call: QubesdCall = { method: 'admin.Events', dest: 'dom0' };
    const what = describeCall(call);
    const parser = new EventStreamParser(what);
    const socket = this.send(encodeQubesdRequest(call));
    let closed = false;
    const finish = (err: Error | undefined) => {
      if (closed) return;
      closed = true;
      socket.destroy();
      subscriber.onClose(err);
    };
    socket.on('data', (chunk: Buffer) => {
      if (closed) return;
      try {
        for (const event of parser.push(chunk)) {
          if (closed) return;
          subscriber.onEvent(event);
        }
      } catch (err) {
        finish(err as Error);
      }
    });
    socket.once('end', () => {
      try {
        parser.end();
        finish(undefined);
      } catch (err) {
        finish(err as Error);
      }
    });
    socket.once('error', (err) => finish(this.mapSocketError(err, what)));
    return {
      close: () => {
        closed = true;
        socket.destroy();
      },
    };
  }

  /** Connects, writes the whole request and shuts down the write side: qubesd acts on EOF. */
  private send(request: Buffer): Socket {
    const socket = connect(this.config.socketPath);
    socket.on('error', () => {
      /* reported by whoever reads the socket */
    });
    socket.end(request);
    return socket;
  }

  private mapSocketError(err: unknown, what: string): Error {
    const code = errnoCode(err);
    if (code && UNAVAILABLE_CODES.has(code)) {
      return new QubesdUnavailableError(`cannot connect to qubesd at ${this.config.socketPath}: ${code}`, {
        cause: err,
      });
    }
    if (code && ABORTED_CODES.has(code)) return new QubesdNoReplyError(what);
    return err instanceof Error ? err : new Error(String(err));
  }
}

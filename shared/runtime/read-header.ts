import type { Socket } from 'node:net';
import { BadRequestError } from '../errors/qnet-error';

/**
 * Reads a NUL-terminated header off a socket (qrexec's descriptor, or the
 * router's request line) and returns it with whatever bytes followed it. The
 * socket is left paused. Rejects when the header is too long or EOF comes first.
 */
export function readNulHeader(socket: Socket, maxBytes: number): Promise<{ header: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err?: Error, value?: { header: string; rest: Buffer }) => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
      socket.pause();
      if (err) reject(err);
      else resolve(value as { header: string; rest: Buffer });
    };
    const onData = (chunk: Buffer) => {
      const nul = chunk.indexOf(0);
      if (nul < 0) {
        size += chunk.length;
        if (size > maxBytes) done(new BadRequestError(`missing descriptor: no NUL within ${maxBytes} bytes`));
        else chunks.push(chunk);
        return;
      }
      if (size + nul > maxBytes) {
        done(new BadRequestError(`missing descriptor: no NUL within ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk.subarray(0, nul));
      const header = Buffer.concat(chunks).toString('latin1');
      done(undefined, { header, rest: chunk.subarray(nul + 1) });
    };
    const onEnd = () => done(new BadRequestError('missing descriptor: the caller closed before sending one'));
    const onError = (err: Error) => done(err);
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', onError);
    socket.resume();
  });
}

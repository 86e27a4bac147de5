#!/usr/bin/env node
/**
 * Runs inside a qube's namespace (`ip netns exec`) and sends real packets:
 * a DNS question, or a TCP/UDP echo exchange. Prints one JSON line with
 * what happened; the exit code is 0 whenever the probe itself ran.
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, isIPv6, Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { formatRouterHeader } from '../../shared/transport/router-protocol';
import { decodeAnswer, encodeQuery, type DnsType } from './dns-wire';

export interface ProbeResult {
  readonly ok: boolean;
  /** The errno code (ECONNREFUSED, EHOSTUNREACH, TIMEOUT...) when the exchange failed. */
  readonly error?: string;
  readonly addresses?: string[];
  readonly rcode?: number;
  /** The token sent; an echo server logs it, so a test can tell whether the packet arrived. */
  readonly token?: string;
  /** qrexec: the router's status byte (0 connected, 126 refused by policy...) and the service's reply, hex. */
  readonly status?: number;
  readonly reply?: string;
  readonly ms: number;
}

type Finish = (r: Omit<ProbeResult, 'ms'>) => void;

function dnsProbe(server: string, name: string, type: DnsType, timeoutMs: number, done: Finish): void {
  const sock = createSocket('udp4');
  const id = randomBytes(2).readUInt16BE(0);
  const timer = setTimeout(() => done({ ok: false, error: 'TIMEOUT' }), timeoutMs);
  sock.on('error', (err: NodeJS.ErrnoException) => done({ ok: false, error: err.code ?? err.message }));
  sock.on('message', (msg) => {
    try {
      const answer = decodeAnswer(msg, type);
      if (answer.id !== id) return;
      clearTimeout(timer);
      done({ ok: answer.rcode === 0 && answer.addresses.length > 0, rcode: answer.rcode, addresses: answer.addresses });
    } catch (err) {
      done({ ok: false, error: `bad reply: ${(err as Error).message}` });
    }
  });
  sock.send(encodeQuery(id, name, type), 53, server);
}

function tcpProbe(host: string, port: number, bind: string | undefined, timeoutMs: number, done: Finish): void {
  const token = `qsim-${randomBytes(6).toString('hex')}`;
  const sock = new Socket();
  let got = '';
  const timer = setTimeout(() => done({ ok: false, error: 'TIMEOUT', token }), timeoutMs);
  sock.on('error', (err: NodeJS.ErrnoException) => {
    clearTimeout(timer);
    done({ ok: false, error: err.code ?? err.message, token });
  });
  sock.on('data', (chunk: Buffer) => {
    got += chunk.toString();
    if (got.includes(token)) {
      clearTimeout(timer);
      sock.end();
      done({ ok: true, token });
    }
  });
  sock.connect({ host, port, ...(bind ? { localAddress: bind } : {}) }, () => sock.write(token));
}

function udpProbe(host: string, port: number, bind: string | undefined, timeoutMs: number, done: Finish): void {
  const token = `qsim-${randomBytes(6).toString('hex')}`;
  const sock = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
  const timer = setTimeout(() => done({ ok: false, error: 'TIMEOUT', token }), timeoutMs);
  sock.on('error', (err: NodeJS.ErrnoException) => {
    clearTimeout(timer);
    done({ ok: false, error: err.code ?? err.message, token });
  });
  sock.on('message', (msg) => {
    if (!msg.toString().includes(token)) return;
    clearTimeout(timer);
    done({ ok: true, token });
  });
  const send = () => sock.send(token, port, host);
  if (bind) sock.bind({ address: bind }, send);
  else send();
}

/**
 * A qrexec call over this qube's router socket that sends the payload only
 * once the router said the call goes through, so a refusal is read as a
 * status and never raced by the payload write (EPIPE).
 */
function qrexecProbe(target: string, service: string, payloadHex: string, timeoutMs: number, done: Finish): void {
  const socketPath = process.env.QNET_ROUTER_SOCKET;
  if (!socketPath) return done({ ok: false, error: 'QNET_ROUTER_SOCKET is not set' });
  const sock = connect(socketPath);
  const chunks: Buffer[] = [];
  let status: number | undefined;
  const timer = setTimeout(() => done({ ok: false, error: 'TIMEOUT', status }), timeoutMs);
  const finish = () => {
    clearTimeout(timer);
    const reply = Buffer.concat(chunks).toString('hex');
    done({ ok: status === 0, ...(status === undefined ? { error: 'no status' } : { status }), reply });
  };
  sock.on('connect', () => sock.write(formatRouterHeader(target, service)));
  sock.on('data', (chunk: Buffer) => {
    if (status === undefined) {
      status = chunk[0];
      chunk = chunk.subarray(1);
      if (status === 0) sock.end(Buffer.from(payloadHex, 'hex'));
    }
    if (chunk.length) chunks.push(chunk);
  });
  sock.on('error', finish);
  sock.on('close', finish);
}

function main(argv: string[]): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      bind: { type: 'string' },
      timeout: { type: 'string' },
      type: { type: 'string' },
      payload: { type: 'string' },
    },
  });
  const start = Date.now();
  const timeoutMs = Number(values.timeout ?? 2000);
  const done: Finish = (r) => {
    process.stdout.write(`${JSON.stringify({ ...r, ms: Date.now() - start })}\n`);
    process.exit(0);
  };
  const [kind, host, arg] = positionals;
  if (kind === 'dns' && host && arg) {
    dnsProbe(host, arg, values.type === 'AAAA' ? 'AAAA' : 'A', timeoutMs, done);
  } else if ((kind === 'tcp' || kind === 'udp') && host && arg) {
    (kind === 'tcp' ? tcpProbe : udpProbe)(host, Number(arg), values.bind, timeoutMs, done);
  } else if (kind === 'qrexec' && host && arg) {
    qrexecProbe(host, arg, values.payload ?? '', timeoutMs, done);
  } else {
    process.stderr.write(
      'usage: sim-probe dns SERVER NAME [--type A|AAAA] | (tcp|udp) HOST PORT [--bind ADDR] | qrexec TARGET SERVICE [--payload HEX]\n',
    );
    process.exit(64);
  }
}

if (require.main === module) main(process.argv.slice(2));

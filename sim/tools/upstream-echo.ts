#!/usr/bin/env node
/**
 * The upstream's TCP and UDP echo services. Each exchange is logged as one
 * JSON line (protocol, source, destination, first bytes), so a check can
 * tell what reached the "internet" and from which address.
 */
import { createSocket } from 'node:dgram';
import { appendFileSync, writeFileSync } from 'node:fs';
import { createServer, isIPv6 } from 'node:net';
import { parseArgs } from 'node:util';

export interface EchoLogLine {
  readonly proto: 'tcp' | 'udp';
  readonly from: string;
  readonly to: string;
  readonly data: string;
}

function parseListen(spec: string): { host: string; port: number } {
  const m = /^\[?([0-9a-fA-F:.]+)\]?:(\d+)$/.exec(spec);
  if (!m) throw new Error(`bad --listen ${JSON.stringify(spec)}`);
  return { host: m[1], port: Number(m[2]) };
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { listen: { type: 'string', multiple: true }, log: { type: 'string' }, ready: { type: 'string' } },
  });
  const logFile = values.log ?? '/dev/null';
  const log = (line: EchoLogLine) => appendFileSync(logFile, `${JSON.stringify(line)}\n`);
  const started: Promise<void>[] = [];
  for (const { host, port } of (values.listen ?? []).map(parseListen)) {
    const to = `${host}:${port}`;
    const tcp = createServer((sock) => {
      let logged = false;
      sock.on('error', () => {});
      sock.on('data', (chunk) => {
        if (!logged) {
          log({
            proto: 'tcp',
            from: `${sock.remoteAddress}:${sock.remotePort}`,
            to,
            data: chunk.toString('latin1', 0, 64),
          });
          logged = true;
        }
        sock.write(chunk);
      });
      sock.on('end', () => sock.end());
    });
    started.push(new Promise((resolve, reject) => tcp.once('error', reject).listen(port, host, resolve)));
    const udp = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    udp.on('message', (msg, rinfo) => {
      log({ proto: 'udp', from: `${rinfo.address}:${rinfo.port}`, to, data: msg.toString('latin1', 0, 64) });
      udp.send(msg, rinfo.port, rinfo.address);
    });
    started.push(new Promise((resolve, reject) => udp.once('error', reject).bind(port, host, resolve)));
  }
  await Promise.all(started);
  if (values.ready) writeFileSync(values.ready, `${process.pid}\n`);
  process.once('SIGTERM', () => process.exit(0));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`upstream-echo: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(70);
});

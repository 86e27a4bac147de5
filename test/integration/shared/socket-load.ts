import { connect, type Socket } from 'node:net';

/**
 * Real clients over real Unix sockets, for the admission tests and the soak
 * bench: attackers that hold connections open, and well-behaved callers
 * that write their request at once and measure how they were answered.
 */

/** Connections held open by an attacker; `stop()` closes them all. */
export interface HeldConnections {
  readonly sockets: Socket[];
  /** How many the server has closed so far (shed, timed out, refused). */
  closedByServer(): number;
  stop(): void;
}

export type AttackKind =
  /** connects and never writes a byte */
  | 'silent'
  /** writes `prefix`, then one byte every `dripMs`, never ending */
  | 'slow'
  /** writes `prefix` and garbage up to the cap and beyond, never ending */
  | 'flood';

/**
 * Opens `count` attacker connections of one kind and keeps them open (and,
 * with `reopen`, opens a new one whenever the server closes one, so the
 * pressure lasts). Resolves once all first connections are up.
 */
export async function holdConnections(
  path: string,
  count: number,
  kind: AttackKind,
  opts: { prefix?: Buffer; dripMs?: number; reopen?: boolean } = {},
): Promise<HeldConnections> {
  const sockets = new Set<Socket>();
  const all: Socket[] = [];
  let closed = 0;
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const open = (): Promise<void> =>
    new Promise((resolve) => {
      const s = connect(path);
      sockets.add(s);
      all.push(s);
      s.on('error', () => {});
      s.on('data', () => {});
      s.once('close', () => {
        sockets.delete(s);
        if (stopped) return;
        closed++;
        if (opts.reopen) void open();
      });
      s.once('connect', () => {
        if (kind !== 'silent' && opts.prefix) s.write(opts.prefix);
        if (kind === 'slow') {
          const t = setInterval(() => {
            if (s.destroyed) clearInterval(t);
            else s.write(Buffer.from([0xa1]));
          }, opts.dripMs ?? 200);
          timers.add(t);
          s.once('close', () => (clearInterval(t), timers.delete(t)));
        }
        if (kind === 'flood') s.write(Buffer.alloc(256 * 1024, 0x41));
        resolve();
      });
      s.once('error', () => resolve());
    });
  const firsts: Promise<void>[] = [];
  for (let i = 0; i < count; i++) firsts.push(open());
  await Promise.all(firsts);
  return {
    sockets: all,
    closedByServer: () => closed,
    stop: () => {
      stopped = true;
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
    },
  };
}

export interface CallOutcome {
  /** The server answered with bytes and closed. */
  readonly answered: boolean;
  readonly reply: Buffer;
  readonly ms: number;
  readonly error?: string;
}

/** One well-behaved call: connect, write the request at once, half-close, read the answer to EOF. */
export function goodCall(path: string, request: Buffer, timeoutMs = 30_000): Promise<CallOutcome> {
  const t0 = process.hrtime.bigint();
  const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let error: string | undefined;
    const s = connect(path, () => s.end(request));
    const timer = setTimeout(() => {
      error = 'client timeout';
      s.destroy();
    }, timeoutMs);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', (e) => (error ??= e.message));
    s.once('close', () => {
      clearTimeout(timer);
      const reply = Buffer.concat(chunks);
      resolve({ answered: reply.length > 0 && error === undefined, reply, ms: ms(), error });
    });
  });
}

/** `n` good calls all at once; `request(i)` builds the i-th. */
export function goodCalls(path: string, n: number, request: (i: number) => Buffer): Promise<CallOutcome[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => goodCall(path, request(i))));
}

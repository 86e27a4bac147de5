import type { Socket } from 'node:net';
import { TimeoutError, UnavailableError, quote, type QnetError } from '../errors/qnet-error';

/**
 * Who may read a request, and for how long. Every server qnet runs (the
 * socket form, qnetd's sockets, the simulator's router, the policy daemon)
 * admits its connections through this one mechanism, so a slow or hostile
 * writer costs a bounded share of one server, never everyone's calls.
 */
export interface AdmissionOptions {
  /** Connections held at once in any phase; beyond it a new connection is closed at once (fd and memory bound). */
  readonly maxOpen: number;
  /** Connections reading their request at once, all sources together. */
  readonly maxReading: number;
  /** Connections of one source reading at once; its further connections wait their turn. */
  readonly maxReadingPerSource: number;
  /** Connections waiting for a reading slot, all sources together; beyond it a new one is refused. */
  readonly maxQueued: number;
  /** Connections of one source waiting; beyond it that source's new connection is refused. */
  readonly maxQueuedPerSource: number;
  /** Total time a connection may spend delivering its header and request (time spent waiting is not counted). */
  readonly readDeadlineMs: number;
  /** A request still incomplete after this much reading gives its slot up to a waiting caller. */
  readonly yieldAfterMs: number;
  /** A connection waiting longer than this for a slot is refused. */
  readonly maxWaitMs: number;
}

/**
 * Sized so that 500 well-behaved callers arriving at once are all queued and
 * answered, and so that a reader slower than a second never blocks a caller
 * that is waiting: a real caller (qrexec, qrexec-daemon) writes its request at once.
 */
export const DEFAULT_ADMISSION_OPTIONS: AdmissionOptions = {
  maxOpen: 8192,
  maxReading: 512,
  maxReadingPerSource: 64,
  maxQueued: 4096,
  maxQueuedPerSource: 1024,
  readDeadlineMs: 10_000,
  yieldAfterMs: 1000,
  maxWaitMs: 10_000,
};

/**
 * For a socket whose callers cannot be told apart (the policy daemon; the
 * admin socket, where every caller is dom0): the one source may use every
 * slot, so a round of slow readers yields to all waiting callers at once.
 */
export const ONE_SOURCE_ADMISSION_OPTIONS: AdmissionOptions = {
  ...DEFAULT_ADMISSION_OPTIONS,
  maxReadingPerSource: DEFAULT_ADMISSION_OPTIONS.maxReading,
  maxQueuedPerSource: DEFAULT_ADMISSION_OPTIONS.maxQueued,
};

/**
 * The key for a connection whose source is not known yet, reading the
 * descriptor that names it. Such reads need no slot (a descriptor is a few
 * hundred bytes, and slots are counted by the source it names); they are
 * bounded by `maxOpen`, the total deadline, and by yielding their place to a
 * newcomer once `yieldAfterMs` old when `maxOpen` is reached.
 */
export const UNATTRIBUTED = '';

type Phase = 'idle' | 'queued' | 'reading' | 'finished';

/** Why a reading connection lost its slot; the server answers with it (or just closes). */
export type ShedHandler = (reason: QnetError) => void;

/** One accepted connection's passage through admission. */
export class AdmittedConnection {
  phase: Phase = 'idle';
  source = UNATTRIBUTED;
  /** Reading time used in earlier phases (the header), counted against the total deadline. */
  usedMs = 0;
  /** When the current reading lease (or wait) began. */
  since = 0;
  timer: NodeJS.Timeout | undefined;
  waiter: { resolve: () => void; reject: (err: QnetError) => void } | undefined;

  constructor(
    private readonly admission: ConnectionAdmission,
    readonly socket: Socket,
    readonly onShed: ShedHandler,
  ) {}

  /** Resolves when this connection may read (as `source`); it stays paused while it waits. */
  read(source: string): Promise<void> {
    return this.admission.requestSlot(this, source);
  }

  /** The request is in: the slot goes to the next caller and the read deadline stops. */
  doneReading(): void {
    this.admission.releaseSlot(this);
  }

  /** The connection is answered or gone: nothing of it is held any longer. */
  finish(): void {
    this.admission.forget(this);
  }

  /** Reading time used so far, the current lease included. */
  readingMs(now: number): number {
    return this.usedMs + (this.phase === 'reading' ? now - this.since : 0);
  }
}

/**
 * Fair admission: a connection reads its request only while it holds a slot;
 * slots are bounded in total and per source, waiting callers queue per
 * source and are served round-robin, and a reader that is still incomplete
 * after `yieldAfterMs` gives its slot to a waiting caller (a well-behaved
 * caller writes at once and is never the slow one). Every reader also has a
 * total deadline. Waiting connections are paused: their bytes stay in the
 * kernel, not in our memory.
 */
export class ConnectionAdmission {
  private readonly open = new Set<AdmittedConnection>();
  private readonly reading = new Map<string, Set<AdmittedConnection>>();
  private readingCount = 0;
  /** Per source, oldest first; Map order is the round-robin order (a served source moves to the back). */
  private readonly waiting = new Map<string, AdmittedConnection[]>();
  private queuedCount = 0;
  private yieldTimer: NodeJS.Timeout | undefined;
  private readonly stats = { refused: 0, shed: 0, timedOut: 0 };

  constructor(private readonly opts: AdmissionOptions = DEFAULT_ADMISSION_OPTIONS) {}

  /** Counters for benches and logs: refused at the door or the queue, slots yielded, deadlines hit. */
  get counters(): Readonly<{ refused: number; shed: number; timedOut: number; open: number; queued: number }> {
    return { ...this.stats, open: this.open.size, queued: this.queuedCount };
  }

  /**
   * Takes an accepted connection in. Beyond `maxOpen` it is closed at once
   * and undefined comes back. Closing the socket releases everything it held.
   */
  accept(socket: Socket, onShed: ShedHandler): AdmittedConnection | undefined {
    if (this.open.size >= this.opts.maxOpen) this.yieldOldest([...this.reading.values()]);
    if (this.open.size >= this.opts.maxOpen) {
      this.stats.refused++;
      socket.destroy();
      return undefined;
    }
    const conn = new AdmittedConnection(this, socket, onShed);
    this.open.add(conn);
    socket.once('close', () => conn.finish());
    return conn;
  }

  /** @internal used by AdmittedConnection.read */
  requestSlot(conn: AdmittedConnection, source: string): Promise<void> {
    if (conn.phase === 'finished') return Promise.reject(new UnavailableError('connection closed'));
    if (conn.phase === 'reading') this.releaseSlot(conn);
    conn.source = source;
    const queued = this.waiting.get(source);
    if (!queued && this.hasRoom(source)) {
      this.grant(conn);
      return Promise.resolve();
    }
    if (this.queuedCount >= this.opts.maxQueued || (queued?.length ?? 0) >= this.opts.maxQueuedPerSource) {
      this.stats.refused++;
      return Promise.reject(new UnavailableError(`busy: too many calls waiting from ${quote(source || 'callers')}`));
    }
    return new Promise<void>((resolve, reject) => {
      conn.waiter = { resolve, reject };
      conn.phase = 'queued';
      conn.since = Date.now();
      conn.timer = setTimeout(() => {
        this.unqueue(conn);
        this.stats.refused++;
        conn.waiter = undefined;
        reject(new UnavailableError(`busy: no slot within ${this.opts.maxWaitMs} ms`));
      }, this.opts.maxWaitMs);
      conn.timer.unref();
      if (queued) queued.push(conn);
      else this.waiting.set(source, [conn]);
      this.queuedCount++;
      this.pump();
    });
  }

  /** @internal used by AdmittedConnection.doneReading */
  releaseSlot(conn: AdmittedConnection): void {
    if (conn.phase !== 'reading') return;
    const now = Date.now();
    conn.usedMs += now - conn.since;
    this.dropReader(conn);
    conn.phase = 'idle';
    this.pump();
  }

  /** @internal used by AdmittedConnection.finish */
  forget(conn: AdmittedConnection): void {
    if (conn.phase === 'finished') return;
    if (conn.phase === 'reading') this.dropReader(conn);
    if (conn.phase === 'queued') {
      this.unqueue(conn);
      const waiter = conn.waiter;
      conn.waiter = undefined;
      waiter?.reject(new UnavailableError('connection closed while waiting'));
    }
    clearTimeout(conn.timer);
    conn.phase = 'finished';
    this.open.delete(conn);
    this.pump();
  }

  private hasRoom(source: string): boolean {
    if (source === UNATTRIBUTED) return true;
    return (
      this.readingCount < this.opts.maxReading && (this.reading.get(source)?.size ?? 0) < this.opts.maxReadingPerSource
    );
  }

  private grant(conn: AdmittedConnection): void {
    clearTimeout(conn.timer);
    conn.phase = 'reading';
    conn.since = Date.now();
    let set = this.reading.get(conn.source);
    if (!set) this.reading.set(conn.source, (set = new Set()));
    set.add(conn);
    if (conn.source !== UNATTRIBUTED) this.readingCount++;
    const left = Math.max(0, this.opts.readDeadlineMs - conn.usedMs);
    conn.timer = setTimeout(() => {
      this.stats.timedOut++;
      this.shed(conn, new TimeoutError('request', this.opts.readDeadlineMs));
    }, left);
    conn.timer.unref();
    const waiter = conn.waiter;
    conn.waiter = undefined;
    waiter?.resolve();
  }

  private dropReader(conn: AdmittedConnection): void {
    clearTimeout(conn.timer);
    conn.timer = undefined;
    const set = this.reading.get(conn.source);
    if (set?.delete(conn)) {
      if (conn.source !== UNATTRIBUTED) this.readingCount--;
      if (set.size === 0) this.reading.delete(conn.source);
    }
  }

  private unqueue(conn: AdmittedConnection): void {
    const queue = this.waiting.get(conn.source);
    const at = queue ? queue.indexOf(conn) : -1;
    if (!queue || at < 0) return;
    queue.splice(at, 1);
    this.queuedCount--;
    if (queue.length === 0) this.waiting.delete(conn.source);
  }

  /** Takes a reader's slot away; the server answers or closes through `onShed`. */
  private shed(conn: AdmittedConnection, reason: QnetError): void {
    if (conn.phase !== 'reading') return;
    this.dropReader(conn);
    conn.phase = 'finished';
    this.open.delete(conn);
    conn.onShed(reason);
    this.pump();
  }

  private pumping = false;

  /** Hands free slots to waiting sources in turn; when none is free, takes one from a slow reader. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        const source = [...this.waiting.keys()].find((s) => this.hasRoom(s));
        if (source !== undefined) {
          const queue = this.waiting.get(source) as AdmittedConnection[];
          const conn = queue.shift() as AdmittedConnection;
          this.queuedCount--;
          // round-robin: the source just served goes behind the others
          this.waiting.delete(source);
          if (queue.length > 0) this.waiting.set(source, queue);
          this.grant(conn);
          continue;
        }
        if (this.queuedCount === 0 || !this.yieldOne()) break;
      }
    } finally {
      this.pumping = false;
    }
  }

  /**
   * A waiting caller is blocked: the oldest reader that has had
   * `yieldAfterMs` and still not delivered its request gives up its slot
   * (from the waiter's own source when that source is at its limit). When
   * none is that old yet, look again when the first becomes so.
   */
  private yieldOne(): boolean {
    for (const source of this.waiting.keys()) {
      const own = this.reading.get(source);
      const ownFull = (own?.size ?? 0) >= this.opts.maxReadingPerSource;
      // Blocked by the total: only readers that count in it can make room (not those still reading a descriptor).
      const pool = ownFull
        ? [own as Set<AdmittedConnection>]
        : [...this.reading].filter(([key]) => key !== UNATTRIBUTED).map(([, set]) => set);
      if (this.yieldOldest(pool)) return true;
    }
    return false;
  }

  /**
   * Sheds the reader in `pool` that has read longest, if that is at least
   * `yieldAfterMs`; otherwise arranges to look again when the first becomes so.
   */
  private yieldOldest(pool: Iterable<Set<AdmittedConnection>>): boolean {
    const now = Date.now();
    let victim: AdmittedConnection | undefined;
    let victimMs = -1;
    let soonest = Infinity;
    for (const set of pool) {
      for (const r of set) {
        const used = r.readingMs(now);
        if (used >= this.opts.yieldAfterMs) {
          if (used > victimMs) [victim, victimMs] = [r, used];
        } else soonest = Math.min(soonest, this.opts.yieldAfterMs - used);
      }
    }
    if (victim) {
      this.stats.shed++;
      this.shed(victim, new TimeoutError('request (slot yielded to a waiting caller)', this.opts.yieldAfterMs));
      return true;
    }
    if (soonest !== Infinity && !this.yieldTimer) {
      this.yieldTimer = setTimeout(
        () => {
          this.yieldTimer = undefined;
          this.pump();
        },
        Math.max(1, Math.ceil(soonest)),
      );
      this.yieldTimer.unref();
    }
    return false;
  }

  /** Stops the yield timer (server shutdown); connections are closed by their server. */
  dispose(): void {
    clearTimeout(this.yieldTimer);
    this.yieldTimer = undefined;
  }
}

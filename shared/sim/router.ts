import { lstatSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { inject, injectable } from 'tsyringe';
import { token } from '../di/token';
import { QnetError } from '../errors/qnet-error';
import { Logger } from '../logging/logger';
import {
  ConnectionAdmission,
  DEFAULT_ADMISSION_OPTIONS,
  type AdmissionOptions,
  type AdmittedConnection,
} from '../runtime/connection-admission';
import { checkServiceAndArgument, formatDescriptor } from '../runtime/descriptor';
import { readNulHeader } from '../runtime/read-header';
import { closeServer, listenUnix } from '../runtime/unix-socket';
import type { CallContext } from '../contract/call-context';
import { QREXEC_EXIT } from '../transport/transport';
import { PolicyHook } from './policy-hook';
import { ROUTER_MAX_HEADER_BYTES, ROUTER_TARGET_RE } from './router-protocol';

export interface SimQube {
  readonly name: string;
  /** The router listens here for this qube's outgoing calls; only this qube can reach it. */
  readonly callerSocket: string;
  /** The qube's qrexec service directory (`/etc/qubes-rpc` inside it): entries are sockets. */
  readonly serviceDir: string;
}

export interface RouterConfig {
  readonly qubes: readonly SimQube[];
  /** The admin qube's name. Calls it makes skip policy, as `qrexec-client` in dom0 does. */
  readonly adminVm: string;
  /** How long a call may take before the router drops both ends. */
  readonly callTimeoutMs: number;
  /** Who may send a request line, and for how long (per calling qube); defaults to the shared defaults. */
  readonly admission?: AdmissionOptions;
}
export const RouterConfig = token<RouterConfig>('RouterConfig');

/**
 * Stands in for qrexec-daemon where there is no Xen: asks the policy, finds
 * the target's service entry (`NAME+ARG` before `NAME`), and splices the
 * caller to it behind the exact descriptor qrexec sends. The source is the
 * socket the caller came in on.
 */
@injectable()
export class Router {
  private readonly servers: { server: Server; path: string }[] = [];
  private readonly byName = new Map<string, SimQube>();
  private readonly live = new Set<Socket>();
  private readonly admission: ConnectionAdmission;

  constructor(
    @inject(RouterConfig) private readonly config: RouterConfig,
    @inject(PolicyHook) private readonly policy: PolicyHook,
    @inject(Logger) private readonly log: Logger,
  ) {
    for (const q of config.qubes) this.byName.set(q.name, q);
    this.admission = new ConnectionAdmission(config.admission ?? DEFAULT_ADMISSION_OPTIONS);
  }

  async start(): Promise<void> {
    for (const qube of this.config.qubes) {
      const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (s) => this.onCall(qube.name, s));
      await listenUnix(server, qube.callerSocket, 0o600);
      this.servers.push({ server, path: qube.callerSocket });
    }
  }

  async dispose(): Promise<void> {
    this.admission.dispose();
    for (const s of this.live) s.destroy();
    await Promise.all(this.servers.splice(0).map(({ server, path }) => closeServer(server, path)));
  }

  private onCall(source: string, caller: Socket): void {
    // The source is the socket the caller came in on, so admission is per qube from the first byte.
    const conn = this.admission.accept(caller, () => this.refuse(caller, QREXEC_EXIT.FAILED));
    if (!conn) return;
    this.live.add(caller);
    caller.once('close', () => this.live.delete(caller));
    caller.on('error', () => {});
    const timer = setTimeout(() => caller.destroy(), this.config.callTimeoutMs);
    timer.unref();
    caller.once('close', () => clearTimeout(timer));
    this.route(source, conn).catch((err: unknown) => {
      const msg = err instanceof QnetError ? err.message : String(err);
      this.log.warn(`call from ${source} not routed: ${msg}`);
      this.refuse(caller, QREXEC_EXIT.FAILED);
    });
  }

  private refuse(caller: Socket, status: number): void {
    if (caller.destroyed) return;
    caller.end(Buffer.from([status]));
    caller.once('finish', () => caller.destroy());
  }

  /**
   * Reading the request line and asking the policy hold one of the source's
   * slots; once spliced, the call is bounded by the call deadline and the
   * target's own admission, and holds no slot here.
   */
  private async route(source: string, conn: AdmittedConnection): Promise<void> {
    const caller = conn.socket;
    await conn.read(source);
    const { header, rest } = await readNulHeader(caller, ROUTER_MAX_HEADER_BYTES);
    const space = header.indexOf(' ');
    const requested = header.slice(0, space);
    const full = header.slice(space + 1);
    if (space < 0 || !ROUTER_TARGET_RE.test(requested)) return this.refuse(caller, QREXEC_EXIT.FAILED);
    const { service, argument } = checkServiceAndArgument(full);

    let target: string;
    if (source === this.config.adminVm) {
      target = requested;
    } else {
      const verdict = await this.policy.evaluate({ source, target: requested, service, argument });
      if (!verdict.allow) {
        this.log.info(`refused ${source} -> ${requested} ${full}: ${verdict.reason}`);
        return this.refuse(caller, QREXEC_EXIT.REFUSED);
      }
      target = verdict.target;
    }
    conn.finish();
    const qube = this.byName.get(target);
    const entry = qube && findServiceEntry(qube.serviceDir, service, argument);
    if (!entry) return this.refuse(caller, QREXEC_EXIT.NO_SERVICE);

    const ctx: CallContext = { service, argument, source };
    const descriptor =
      target === this.config.adminVm
        ? formatDescriptor({
            ...ctx,
            requestedTarget: requested.startsWith('@')
              ? { type: 'keyword', value: requested.slice(1) }
              : { type: 'name', value: requested },
          })
        : formatDescriptor(ctx);
    const callee = connect(entry);
    this.live.add(callee);
    callee.once('close', () => this.live.delete(callee));
    callee.once('error', (err) => {
      this.log.warn(`${target} ${service}: ${err.message}`);
      if (!connected) this.refuse(caller, QREXEC_EXIT.FAILED);
      else caller.destroy();
    });
    let connected = false;
    callee.once('connect', () => {
      connected = true;
      caller.write(Buffer.from([0]));
      callee.write(Buffer.from(`${descriptor}\0`, 'latin1'));
      if (rest.length) callee.write(rest);
      caller.pipe(callee);
      callee.pipe(caller);
      caller.resume();
    });
    caller.once('close', () => callee.destroy());
  }
}

/**
 * `NAME+ARG` first, then `NAME`, as qrexec looks them up. The simulation only
 * forwards to sockets; a symlink counts even when nothing listens behind it,
 * so a stopped agent is a failed call (125), not a missing service (127).
 */
export function findServiceEntry(dir: string, service: string, argument: string): string | undefined {
  const names = argument ? [`${service}+${argument}`, service] : [service];
  for (const name of names) {
    const path = join(dir, name);
    try {
      const st = lstatSync(path);
      if (st.isSocket() || st.isSymbolicLink()) return path;
    } catch {
      /* try the next */
    }
  }
  return undefined;
}

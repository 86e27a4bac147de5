import { spawn } from 'node:child_process';
import { accessSync, constants, lstatSync, statSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { inject, injectable } from 'tsyringe';
import { token } from '../../shared/di/token';
import { QnetError } from '../../shared/errors/qnet-error';
import { Logger } from '../../shared/logging/logger';
import {
  ConnectionAdmission,
  DEFAULT_ADMISSION_OPTIONS,
  type AdmissionOptions,
  type AdmittedConnection,
} from '../../shared/runtime/connection-admission';
import { checkServiceAndArgument, formatDescriptor } from '../../shared/runtime/descriptor';
import { readNulHeader } from '../../shared/runtime/read-header';
import { closeServer, listenUnix } from '../../shared/runtime/unix-socket';
import type { CallContext } from '../../shared/contract/call-context';
import { QREXEC_EXIT } from '../../shared/transport/transport';
import { PolicyHook } from './policy-hook';
import { ROUTER_MAX_HEADER_BYTES, ROUTER_TARGET_RE } from '../../shared/transport/router-protocol';

export interface SimQube {
  readonly name: string;
  /** The router listens here for this qube's outgoing calls; only this qube can reach it. */
  readonly callerSocket: string;
  /** The qube's first qrexec service directory (`/run/qubes-rpc` in a qube): entries link to sockets. */
  readonly serviceDir: string;
  /**
   * Searched after serviceDir, as qrexec searches /etc/qubes-rpc after /run/qubes-rpc: an executable
   * found there runs once per call with qrexec's environment and argv[1], a socket is connected to.
   */
  readonly fallbackDirs?: readonly string[];
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
    const entry = qube && findServiceEntry([qube.serviceDir, ...(qube.fallbackDirs ?? [])], service, argument);
    if (!entry) return this.refuse(caller, QREXEC_EXIT.NO_SERVICE);
    if (entry.kind === 'executable') return this.runExecutable(entry.path, { full, argument, source }, caller, rest);

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
    const callee = connect(entry.path);
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

  /**
   * The executable form, as qrexec-agent starts it: the environment it sets, the argument (when not
   * empty) as argv[1], the caller's bytes on stdin and stdout back. The router's protocol has one status
   * byte before the reply, so the service's own exit code does not reach the caller (its envelope does).
   */
  private runExecutable(
    path: string,
    call: { full: string; argument: string; source: string },
    caller: Socket,
    rest: Buffer,
  ): void {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      QREXEC_SERVICE_FULL_NAME: call.full,
      QREXEC_REMOTE_DOMAIN: call.source,
      QREXEC_REQUESTED_TARGET_TYPE: '',
      ...(call.full.includes('+') ? { QREXEC_SERVICE_ARGUMENT: call.argument } : {}),
    };
    const child = spawn(path, call.argument ? [call.argument] : [], { env, stdio: ['pipe', 'pipe', 'ignore'] });
    child.once('error', (err) => {
      this.log.warn(`${path}: ${err.message}`);
      this.refuse(caller, QREXEC_EXIT.FAILED);
    });
    child.once('spawn', () => {
      caller.write(Buffer.from([0]));
      child.stdin.on('error', () => {});
      if (rest.length) child.stdin.write(rest);
      caller.pipe(child.stdin);
      child.stdout.pipe(caller);
      caller.resume();
    });
    caller.once('close', () => child.kill('SIGKILL'));
  }
}

export interface ServiceEntry {
  readonly kind: 'socket' | 'executable';
  readonly path: string;
}

/**
 * `NAME+ARG` in every directory, then `NAME`, as qrexec looks them up: the
 * first entry that exists wins, and a dangling symlink does not exist (so a
 * removed socket uncovers the executable behind it, while a socket file
 * nobody listens on is found, and refused: 125). One difference, on purpose:
 * when nothing exists but a dangling link, the call fails (125) instead of
 * qrexec's "no such service" (127), so a stopped agent reads as a failure.
 */
export function findServiceEntry(dirs: readonly string[], service: string, argument: string): ServiceEntry | undefined {
  const names = argument ? [`${service}+${argument}`, service] : [service];
  let dangling: string | undefined;
  for (const name of names) {
    for (const dir of dirs) {
      const path = join(dir, name);
      let isLink;
      try {
        isLink = lstatSync(path).isSymbolicLink();
      } catch {
        continue;
      }
      let st;
      try {
        st = statSync(path);
      } catch {
        if (isLink) dangling ??= path;
        continue;
      }
      if (st.isSocket()) return { kind: 'socket', path };
      if (st.isFile() && isExecutable(path)) return { kind: 'executable', path };
    }
  }
  return dangling === undefined ? undefined : { kind: 'socket', path: dangling };
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

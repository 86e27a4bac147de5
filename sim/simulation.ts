import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import type { SimRouterFile } from './qrexec/router-config';
import {
  GUEST_DEVICE,
  linkOf,
  netnsOf,
  planCreateArgs,
  planStartOrder,
  planSystemInfo,
  UPSTREAM_NETNS,
  VIF_MAC,
  type SimLink,
} from './planners/plan-sim';
import { UPSTREAM } from './planners/upstream-plan';
import { QnetCli, runCollect, type RunResult } from './qnet-cli';
import { simBinaries, type SimBinaries } from './sim-binaries';
import {
  MissingToolError,
  NotRootError,
  SimAlreadyUpError,
  SimNotRunningError,
  SimNotUpError,
  SimStartingError,
  SimStepError,
  SimUnknownTargetError,
} from './sim-errors';
import { SimKernel } from './sim-kernel';
import type { SimLayout } from './sim-layout';
import { canConnect, processStartTime, SimProcesses } from './sim-processes';
import { agentProcess, resolveSimTarget, simTargetNames, type SimTarget } from './sim-targets';
import { parseTopology, type SimQubeSpec, type SimTopology } from './topology';
import { Upstream } from './upstream';
import { connectVpnClient } from './vpn-client';

/** dom0's files live under this name whatever the topology calls the admin qube. */
export const ADMIN_DIR = 'dom0';

/** The qrexec services every simulated agent serves, each a symlink to its one socket. */
export const AGENT_ENTRIES = ['qubes.NetConfig', 'qubes.DnsUpdate', 'qubes.FirewallSync', 'qnet.Ping'] as const;
/** Marks a directory as the simulator's, so `down` never removes anything else. */
const MARKER = '.qnet-sim';

export interface SimState {
  readonly topology: SimTopology;
  readonly startedAt: string;
  readonly upMs: number;
}

export interface DownReport {
  readonly processes: number;
  readonly namespaces: readonly string[];
  readonly removedDir: boolean;
}

export type Progress = (line: string) => void;

/**
 * up: every process `up` started runs. degraded: `up` finished and some of
 * them run, some died (restart them one by one). starting: a `qnet sim up`
 * is building it. down: nothing of it runs (leftovers of a crash may remain;
 * `up` removes them).
 */
export type SimHealthState = 'up' | 'degraded' | 'starting' | 'down';

export interface SimHealth {
  readonly state: SimHealthState;
  /** Pid-file names of the sim's processes, alive or dead. */
  readonly alive: readonly string[];
  readonly dead: readonly string[];
  /** The `qnet sim up` building it, while `starting`. */
  readonly upPid?: number;
}

/** The kernel tools the sim and its agents drive (conntrack: a departing client's flows are purged). */
export const SIM_TOOLS = ['ip', 'nft', 'dnsmasq', 'conntrack'] as const;

export function checkPrerequisites(): void {
  if (process.getuid?.() !== 0) throw new NotRootError();
  for (const tool of SIM_TOOLS) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new MissingToolError(tool);
  }
}

/** Run by `sh -c` inside the qube's namespace: $1 the qube's resolv.conf, then the command and its arguments. */
const BIND_RESOLV_CONF = [
  'mount --bind "$1" /etc/resolv.conf || {',
  '  echo "qnet: UNAVAILABLE: cannot show the qube\'s resolv.conf as /etc/resolv.conf" >&2; exit 126; }',
  'shift',
  'exec "$@"',
].join('\n');

/** A qrexec service entry: a symlink to the socket that serves it (again, after a restart). */
function linkEntry(socket: string, entry: string): void {
  rmSync(entry, { force: true });
  symlinkSync(socket, entry);
}

/**
 * One simulated Qubes: dom0's qnetd and the router in the machine's own
 * namespace (they only use Unix sockets), each qube in a namespace of its
 * own, linked to its netvm by a veth pair named as Xen names the vif.
 */
export class Simulation {
  readonly kernel: SimKernel;
  readonly procs: SimProcesses;
  readonly qnet: QnetCli;

  constructor(
    readonly layout: SimLayout,
    readonly bins: SimBinaries = simBinaries(),
    private readonly progress: Progress = () => {},
  ) {
    this.kernel = new SimKernel();
    this.procs = new SimProcesses(layout);
    this.qnet = new QnetCli(bins, layout.runDir(ADMIN_DIR));
  }

  state(): SimState | undefined {
    try {
      const raw = JSON.parse(readFileSync(this.layout.stateFile, 'utf8')) as SimState;
      return { ...raw, topology: parseTopology(raw.topology) };
    } catch {
      return undefined;
    }
  }

  /** Reads only pid and state files: any process may ask, not just the one that ran `up`. */
  health(): SimHealth {
    const names = this.procs.names();
    const alive = names.filter((n) => this.procs.running(n));
    const dead = names.filter((n) => !alive.includes(n));
    const upPid = this.upInProgress();
    if (upPid !== undefined) return { state: 'starting', alive, dead, upPid };
    if (this.state() === undefined || alive.length === 0) return { state: 'down', alive, dead };
    return { state: dead.length ? 'degraded' : 'up', alive, dead };
  }

  /** Up means: `up` finished and its processes run, maybe not all of them (see `health`). */
  isUp(): boolean {
    const { state } = this.health();
    return state === 'up' || state === 'degraded';
  }

  requireUp(): SimState {
    const s = this.state();
    if (!s || !this.isUp()) throw new SimNotUpError(this.layout.root);
    return s;
  }

  /** The pid of a `qnet sim up` (another process, or this one) still building this simulation. */
  private upInProgress(): number | undefined {
    try {
      const [pid, started] = readFileSync(this.layout.upPidFile, 'utf8').trim().split(' ').map(Number);
      // The start time guards against a recycled pid after an `up` that was killed.
      return pid !== undefined && started !== undefined && processStartTime(pid) === started ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** What `restart`/`kill` NAME means here; NOT_FOUND names what exists. */
  target(name: string): SimTarget {
    const { topology } = this.requireUp();
    const target = resolveSimTarget(topology, name);
    if (!target) throw new SimUnknownTargetError(name, simTargetNames(topology));
    return target;
  }

  /**
   * Stops NAME's processes gracefully (SIGTERM, as systemctl restart does),
   * starts them again and resolves once they serve. Works on a dead one too.
   */
  async restart(name: string): Promise<SimTarget> {
    const target = this.target(name);
    for (const p of target.processes) await this.procs.stop(p);
    switch (target.kind) {
      case 'agent':
        await this.startAgent(target.qube);
        break;
      case 'qnetd':
        await this.startQnetd();
        break;
      case 'router':
        await this.startRouter();
        break;
      case 'hotplug':
        rmSync(this.layout.hotplugStatusFile, { force: true });
        await this.startHotplug();
        break;
      case 'upstream':
        await this.upstream().startServices();
        break;
    }
    return target;
  }

  /** SIGKILL to NAME's processes, a crash: nobody is told (qnetd still takes the qube for running). */
  async kill(name: string): Promise<SimTarget> {
    const target = this.target(name);
    let killed = 0;
    for (const p of target.processes) if (await this.procs.kill(p)) killed++;
    if (killed === 0) {
      const what = target.kind === 'agent' ? `the agent of ${target.qube}` : name;
      throw new SimNotRunningError(what, name);
    }
    return target;
  }

  /** Restarts dom0's qnetd (the embedded store keeps its state); resolves once both its sockets answer. */
  async restartQnetd(): Promise<void> {
    await this.restart('qnetd');
  }

  /** `systemctl restart qnet-agent` in QUBE: SIGTERM, start, wait until its socket answers. */
  async restartAgent(qube: string): Promise<void> {
    this.agentTarget(qube);
    await this.restart(qube);
  }

  /** QUBE's agent crashes (SIGKILL); dom0 is not told. */
  async killAgent(qube: string): Promise<void> {
    this.agentTarget(qube);
    await this.kill(qube);
  }

  /** Only a qube's name: `restartAgent('qnetd')` must not restart qnetd. */
  private agentTarget(qube: string): void {
    const { topology } = this.requireUp();
    if (!topology.qubes.some((q) => q.name === qube)) {
      throw new SimUnknownTargetError(
        qube,
        topology.qubes.map((q) => q.name),
      );
    }
  }

  /** The environment a process inside `qube` gets: its own agent paths and its own router socket. */
  qubeEnv(qube: string): NodeJS.ProcessEnv {
    const l = this.layout;
    return {
      QNET_STATE_DIR: l.stateDir(qube),
      QNET_RUN_DIR: l.runDir(qube),
      QNET_RESOLV_CONF: l.resolvConf(qube),
      QNET_PROTECTED_FILES_DIR: l.protectedFilesDir(qube),
      QNET_HOOKS_ROOT: l.qubeRoot(qube),
      QNET_RESOLVED_CONF: `${l.qubeDir(qube)}/resolved.conf`,
      // A qube's own lists and services, never the machine's; resolvectl and nmcli reach the machine's daemons
      // over D-Bus, whatever the namespace, so the simulator never runs them.
      QNET_PER_VM_PROTECTED_FILES_DIR: `${l.qubeDir(qube)}/rw-protected-files.d`,
      QNET_QUBES_SERVICE_DIR: `${l.qubeDir(qube)}/qubes-service`,
      QNET_NM_CONNECTIONS_DIR: `${l.qubeDir(qube)}/system-connections`,
      QNET_RESOLVECTL: '',
      QNET_NMCLI: '',
      QNET_ROUTER_SOCKET: l.routerSocket(qube),
      QNET_INIT_ATTEMPTS: '3',
      QNET_INIT_RETRY_DELAY_MS: '200',
      PATH: this.pathWithWrappers(),
    };
  }

  /** The sim's `bin` first: `qnet`, `qnet-agent` and `qrexec-client-vm` work inside `qnet sim exec`. */
  pathWithWrappers(): string {
    return `${this.layout.binDir}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`;
  }

  private writeWrappers(): void {
    const wrappers: Record<string, string> = {
      qnet: this.bins.qnet,
      'qnet-agent': this.bins.agent,
      'qrexec-client-vm': this.bins.qrexecClientVm,
    };
    for (const [name, script] of Object.entries(wrappers)) {
      writeFileSync(
        `${this.layout.binDir}/${name}`,
        `#!/bin/sh\nexec ${JSON.stringify(this.bins.node)} ${JSON.stringify(script)} "$@"\n`,
        {
          mode: 0o755,
        },
      );
    }
  }

  /** Runs `file args` inside a qube's namespace, as that qube. */
  execIn(qube: string, file: string, args: readonly string[], input?: string | Buffer): Promise<RunResult> {
    return runCollect('ip', ['netns', 'exec', netnsOf(qube), file, ...args], { env: this.qubeEnv(qube), input });
  }

  /**
   * How `qnet sim exec QUBE -- CMD` runs CMD: dom0 in the machine's namespace
   * (it has no network) with the CLI pointed at the sim's qnetd; the upstream
   * in its namespace; a qube in its namespace, as that qube, and seeing its
   * own resolv.conf as /etc/resolv.conf. `ip netns exec` gives CMD a mount
   * namespace of its own whose mounts never reach the machine's, so the bind
   * mount needs no cleanup. It shows the file as it was when CMD started:
   * the agent replaces it by rename, and a bind mount keeps the old inode.
   */
  execPlan(qube: string, command: readonly string[]): { file: string; args: string[]; env: NodeJS.ProcessEnv } {
    const { topology } = this.requireUp();
    const known = [topology.adminVm, 'upstream', ...topology.qubes.map((q) => q.name)];
    if (!known.includes(qube)) throw new SimUnknownTargetError(qube, known, 'qube');
    const [file, ...args] = command;
    if (file === undefined) throw new SimStepError('exec', 'no command');
    if (qube === topology.adminVm) {
      return { file, args, env: { QNET_RUN_DIR: this.layout.runDir(ADMIN_DIR), PATH: this.pathWithWrappers() } };
    }
    if (qube === 'upstream') return { file: 'ip', args: ['netns', 'exec', UPSTREAM_NETNS, ...command], env: {} };
    // Never the machine's resolver: a qube without a resolv.conf yet sees an empty one.
    const resolv = existsSync(this.layout.resolvConf(qube)) ? this.layout.resolvConf(qube) : '/dev/null';
    return {
      file: 'ip',
      args: ['netns', 'exec', netnsOf(qube), '/bin/sh', '-c', BIND_RESOLV_CONF, 'qnet-sim-exec', resolv, ...command],
      env: this.qubeEnv(qube),
    };
  }

  agent(qube: string, args: readonly string[]): Promise<RunResult> {
    return this.execIn(qube, this.bins.node, [this.bins.agent, ...args]);
  }

  async up(topology: SimTopology, signal?: AbortSignal): Promise<SimState> {
    checkPrerequisites();
    const health = this.health();
    if (health.state === 'starting' && health.upPid !== undefined) {
      throw new SimStartingError(this.layout.root, health.upPid);
    }
    if (health.state === 'up' || health.state === 'degraded') {
      throw new SimAlreadyUpError(this.layout.root, health.dead);
    }
    const leftovers = await this.down();
    if (leftovers.processes || leftovers.namespaces.length) {
      this.progress(
        `removed leftovers: ${leftovers.processes} processes, namespaces ${leftovers.namespaces.join(' ') || 'none'}`,
      );
    }
    const start = Date.now();
    try {
      const step = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
        if (signal?.aborted) throw new SimStepError(what, 'interrupted');
        this.progress(what);
        return fn();
      };
      this.layDirectories(topology);
      writeFileSync(this.layout.upPidFile, `${process.pid} ${processStartTime(process.pid) ?? 0}\n`);
      await step('upstream namespace', () => this.upstream().create());
      await step('router (qrexec stand-in, real policy)', () => this.startRouter());
      await step('qnetd (embedded store)', () => this.startQnetd());
      for (const q of planStartOrder(topology)) {
        await step(`qnet create ${q.name}`, () => this.qnet.must(planCreateArgs(q)));
        for (const [k, v] of Object.entries(q.features)) await this.qnet.must(['features', q.name, k, v]);
      }
      for (const q of planStartOrder(topology)) await step(`boot ${q.name}`, () => this.boot(q));
      await step('hot-plug supervisor (moves a vif when a netvm changes)', () => this.startHotplug());
      const state: SimState = { topology, startedAt: new Date().toISOString(), upMs: Date.now() - start };
      writeFileSync(this.layout.stateFile, `${JSON.stringify(state, null, 2)}\n`);
      rmSync(this.layout.upPidFile, { force: true });
      return state;
    } catch (err) {
      this.progress('up failed: tearing down');
      await this.down();
      throw err;
    }
  }

  private layDirectories(topology: SimTopology): void {
    const l = this.layout;
    for (const dir of [l.root, l.pidDir, l.logDir, l.policyDir, l.upstreamDir, l.binDir, `${l.root}/router`]) {
      mkdirSync(dir, { recursive: true, mode: 0o755 });
    }
    writeFileSync(`${l.root}/${MARKER}`, '');
    this.writeWrappers();
    for (const q of [ADMIN_DIR, ...topology.qubes.map((x) => x.name)]) {
      for (const dir of [l.serviceDir(q), l.stateDir(q), l.runDir(q), l.protectedFilesDir(q)]) {
        mkdirSync(dir, { recursive: true, mode: 0o755 });
      }
    }
    for (const q of topology.qubes) this.layQubeRoot(q);
    writeFileSync(l.topologyFile, `${JSON.stringify(topology, null, 2)}\n`);
    writeFileSync(l.systemInfoFile, `${JSON.stringify(planSystemInfo(topology), null, 2)}\n`);
    const names = [topology.adminVm, ...topology.qubes.map((q) => q.name)];
    const router: SimRouterFile = {
      adminVm: topology.adminVm,
      callTimeoutMs: 30_000,
      qubes: names.map((name) => ({
        name,
        callerSocket: l.routerSocket(name),
        serviceDir: l.serviceDir(name === topology.adminVm ? ADMIN_DIR : name),
      })),
      policyDirs: [l.policyDir, this.bins.shippedPolicyDir],
      systemInfoPath: l.systemInfoFile,
    };
    writeFileSync(l.routerConfigFile, `${JSON.stringify(router, null, 2)}\n`);
  }

  /**
   * What a Qubes qube has before its agent starts: a writable /rw/config (the user's firewall scripts go
   * there) and, in a network-providing qube, the `qubes-firewall` service flag qubes-sysinit writes.
   */
  private layQubeRoot(q: SimQubeSpec): void {
    const root = this.layout.qubeRoot(q.name);
    mkdirSync(`${root}/rw/config`, { recursive: true, mode: 0o755 });
    mkdirSync(`${root}/run/qubes-service`, { recursive: true, mode: 0o755 });
    if (q.providesNetwork) writeFileSync(`${root}/run/qubes-service/qubes-firewall`, '');
  }

  upstream() {
    return new Upstream(this.kernel, this.procs, this.layout, this.bins);
  }

  private async startRouter(): Promise<void> {
    this.procs.start('router', this.bins.node, [this.bins.router, '--config', this.layout.routerConfigFile]);
    const file = JSON.parse(readFileSync(this.layout.routerConfigFile, 'utf8')) as SimRouterFile;
    await this.procs.waitReady('router', async () => {
      for (const q of file.qubes) if (!(await canConnect(q.callerSocket))) return false;
      return true;
    });
  }

  private async startQnetd(): Promise<void> {
    const l = this.layout;
    const run = l.runDir(ADMIN_DIR);
    this.procs.start('qnetd', this.bins.node, [
      this.bins.qnetd,
      '--state-dir',
      l.stateDir(ADMIN_DIR),
      '--run-dir',
      run,
      '--router-socket',
      l.routerSocket(ADMIN_DIR),
    ]);
    await this.procs.waitReady(
      'qnetd',
      async () => (await canConnect(`${run}/qnetd.sock`)) && (await canConnect(`${run}/qrexec.sock`)),
      15_000,
    );
    for (const entry of ['qubes.NetConfig', 'qnet.Ping'])
      linkEntry(`${run}/qrexec.sock`, `${l.serviceDir(ADMIN_DIR)}/${entry}`);
  }

  /** After the boots: from here on, the cables follow qnetd's netvm settings. */
  private async startHotplug(): Promise<void> {
    const l = this.layout;
    this.procs.start('hotplug', this.bins.node, [this.bins.hotplug, '--sim-dir', l.root]);
    await this.procs.waitReady('hotplug', () => existsSync(l.hotplugStatusFile), 15_000);
  }

  /**
   * As the qube boots: its namespace and agent; qnetd learns it runs and
   * hands out its Xen id; its vif is attached under that id. The pushes the
   * start caused may have found no link yet (on Xen the NIC exists before
   * qubesd reports the start), so the qube and its netvm are pushed again
   * once it is there; then the boot-time pull.
   */
  private async boot(q: SimQubeSpec): Promise<void> {
    const ns = netnsOf(q.name);
    await this.kernel.addNetns(ns);
    if (q.uplink) await this.cableUplink(q);
    await this.startAgent(q.name);
    if (q.netvm === null) await this.qnet.must(['start', q.name]);
    else {
      await this.qnet.must(['start', '--no-wait', q.name]);
      const { xid, mac } = await this.qnet.json<{ xid: number; mac: string }>(['prefs', q.name]);
      await this.plug(linkOf({ name: q.name, xid, mac }, q.netvm));
      const push = await this.qnet.run(['push', q.name, q.netvm]);
      // The result table names the push that failed and why: part of the error, as the sim tears down after it.
      if (push.status !== 0) throw new SimStepError(`qnet push ${q.name} ${q.netvm}`, `${push.stderr}${push.stdout}`);
    }
    const init = await this.agent(q.name, ['init']);
    if (init.status !== 0) throw new SimStepError(`qnet-agent init in ${q.name}`, init.stderr || `exit ${init.status}`);
    if (q.uplink) await this.uplinkDnsHook(q.name);
    if (q.vpn) {
      await this.upstream().startVpnServer();
      await connectVpnClient(this.kernel, (qube, args) => this.agent(qube, args), q.name);
    }
  }

  /** What a Qubes sys-net's NetworkManager does with its NIC; qnet never manages this link. */
  private async cableUplink(q: SimQubeSpec): Promise<void> {
    const ns = netnsOf(q.name);
    await this.upstream().cable(ns);
    const dev = UPSTREAM.uplinkDevice;
    await this.kernel.ip(ns, ['addr', 'add', `${UPSTREAM.uplinkIp}/${UPSTREAM.prefixLen}`, 'dev', dev]);
    await this.kernel.ip(ns, ['addr', 'add', `${UPSTREAM.uplinkIp6}/${UPSTREAM.prefixLen6}`, 'dev', dev, 'nodad']);
    // Group 1: the provider ruleset masquerades toward the uplink group.
    await this.kernel.ip(ns, ['link', 'set', dev, 'group', '1', 'up']);
    await this.kernel.ip(ns, ['route', 'add', 'default', 'via', UPSTREAM.gateway, 'dev', dev]);
    await this.kernel.ip(ns, ['-6', 'route', 'add', 'default', 'via', UPSTREAM.gateway6, 'dev', dev]);
    this.writeUplinkResolvConf(q.name, UPSTREAM.dns[0]);
  }

  writeUplinkResolvConf(qube: string, server: string): void {
    writeFileSync(this.layout.resolvConf(qube), `# written by qnet sim (the uplink's DHCP)\nnameserver ${server}\n`);
  }

  /** NetworkManager's dispatcher hook on the uplink qube, after its upstream servers changed. */
  async uplinkDnsHook(qube: string): Promise<void> {
    const r = await this.agent(qube, ['dns-update', '--from-system']);
    if (r.status !== 0) throw new SimStepError(`qnet-agent dns-update in ${qube}`, r.stderr || `exit ${r.status}`);
  }

  /** Xen's vif hot-plug: the provider's vif<xid>.0 and the client's eth0 (the qube's mac), both down until configured. */
  async plug(link: SimLink): Promise<void> {
    await this.kernel.addVeth(
      { netns: netnsOf(link.provider), dev: link.vif, mac: VIF_MAC },
      { netns: netnsOf(link.client), dev: GUEST_DEVICE, mac: link.clientMac },
    );
  }

  async unplug(link: { provider: string; vif: string }): Promise<void> {
    await this.kernel.deleteLink(netnsOf(link.provider), link.vif);
  }

  private async startAgent(qube: string): Promise<void> {
    const l = this.layout;
    const sock = l.agentSocket(qube);
    this.procs.start(
      agentProcess(qube),
      'ip',
      ['netns', 'exec', netnsOf(qube), this.bins.node, this.bins.agent, 'serve', '--socket', sock],
      this.qubeEnv(qube),
    );
    await this.procs.waitReady(agentProcess(qube), () => canConnect(sock));
    for (const entry of AGENT_ENTRIES) linkEntry(sock, `${l.serviceDir(qube)}/${entry}`);
  }

  /**
   * Stops everything this simulation (or an earlier, crashed one) started
   * and removes every namespace with the sim's prefix: interfaces and
   * nftables tables go with their namespace.
   */
  async down(): Promise<DownReport> {
    const namespaces = await this.kernel.listNetns();
    const pids = new Set(this.procs.livePids());
    for (const ns of namespaces) for (const pid of await this.kernel.netnsPids(ns)) pids.add(pid);
    await SimProcesses.terminate([...pids]);
    for (const ns of namespaces) await this.kernel.deleteNetns(ns);
    const removedDir = existsSync(`${this.layout.root}/${MARKER}`);
    if (removedDir) rmSync(this.layout.root, { recursive: true, force: true });
    return { processes: pids.size, namespaces, removedDir };
  }
}

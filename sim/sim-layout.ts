import { join } from 'node:path';

export const DEFAULT_SIM_DIR = '/run/qnet-sim';

/** Where everything of one simulation lives; `down` removes the whole directory. */
export class SimLayout {
  constructor(readonly root: string) {}

  static fromEnv(env: NodeJS.ProcessEnv, flag?: string): SimLayout {
    return new SimLayout(flag || env.QNET_SIM_DIR || DEFAULT_SIM_DIR);
  }

  /** Written last by `up`: its presence means the simulation is (or was, before a crash) complete. */
  get stateFile(): string {
    return join(this.root, 'sim.json');
  }
  /** The pid of the `qnet sim up` building this simulation, while it does; outside `pidDir`, so `down` spares it. */
  get upPidFile(): string {
    return join(this.root, 'up.pid');
  }
  get topologyFile(): string {
    return join(this.root, 'topology.json');
  }
  get systemInfoFile(): string {
    return join(this.root, 'system-info.json');
  }
  get routerConfigFile(): string {
    return join(this.root, 'router.json');
  }
  /** Earlier than the shipped policy, as /run/qubes/policy.d is read before /etc/qubes/policy.d. */
  get policyDir(): string {
    return join(this.root, 'policy.d');
  }
  /** Wrappers for qnet, qnet-agent and qrexec-client-vm, first on PATH inside `qnet sim exec`. */
  get binDir(): string {
    return join(this.root, 'bin');
  }
  /** Written by the hot-plug supervisor after each pass; its presence means it is watching. */
  get hotplugStatusFile(): string {
    return join(this.root, 'hotplug.json');
  }
  get pidDir(): string {
    return join(this.root, 'pids');
  }
  get logDir(): string {
    return join(this.root, 'logs');
  }
  pidFile(name: string): string {
    return join(this.pidDir, `${name}.pid`);
  }
  logFile(name: string): string {
    return join(this.logDir, `${name}.log`);
  }
  /** A qube's own socket on the router: the router knows the caller by it. */
  routerSocket(qube: string): string {
    return join(this.root, 'router', `${qube}.sock`);
  }
  qubeDir(qube: string): string {
    return join(this.root, 'qubes', qube);
  }
  /** The qube's `/etc/qubes-rpc`. */
  serviceDir(qube: string): string {
    return join(this.qubeDir(qube), 'qubes-rpc');
  }
  stateDir(qube: string): string {
    return join(this.qubeDir(qube), 'state');
  }
  runDir(qube: string): string {
    return join(this.qubeDir(qube), 'run');
  }
  agentSocket(qube: string): string {
    return join(this.runDir(qube), 'agent.sock');
  }
  resolvConf(qube: string): string {
    return join(this.qubeDir(qube), 'resolv.conf');
  }
  protectedFilesDir(qube: string): string {
    return join(this.qubeDir(qube), 'protected-files.d');
  }
  get upstreamDir(): string {
    return join(this.root, 'upstream');
  }
  echoLog(): string {
    return join(this.upstreamDir, 'echo.jsonl');
  }
  dnsmasqLog(index: number): string {
    return join(this.upstreamDir, `dnsmasq-${index}.log`);
  }
}

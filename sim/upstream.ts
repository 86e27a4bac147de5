import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { DNS_RECORDS, planDnsmasqArgs, UPSTREAM } from './planners/upstream-plan';
import { UPSTREAM_NETNS } from './planners/plan-sim';
import { planVpnDnsmasqArgs, planVpnServer, VPN } from './planners/vpn-plan';
import { runCollect } from './qnet-cli';
import type { SimBinaries } from './sim-binaries';
import type { SimKernel } from './sim-kernel';
import type { SimLayout } from './sim-layout';
import type { SimProcesses } from './sim-processes';

const echoListen = (): string[] =>
  [...UPSTREAM.services, ...UPSTREAM.services6.map((a) => `[${a}]`)].flatMap((host) =>
    UPSTREAM.echoPorts.map((port) => `${host}:${port}`),
  );

/** The "internet": a namespace with two resolvers and the echo services, and nothing else. */
export class Upstream {
  constructor(
    private readonly kernel: SimKernel,
    private readonly procs: SimProcesses,
    private readonly layout: SimLayout,
    private readonly bins: SimBinaries,
  ) {}

  async create(): Promise<void> {
    const ns = UPSTREAM_NETNS;
    await this.kernel.addNetns(ns);
    for (const a of UPSTREAM.services)
      await this.kernel.ip(ns, ['addr', 'add', `${a}/32`, 'dev', UPSTREAM.serviceDevice]);
    for (const a of UPSTREAM.services6) {
      await this.kernel.ip(ns, ['addr', 'add', `${a}/128`, 'dev', UPSTREAM.serviceDevice, 'nodad']);
    }
  }

  /** Cables the uplink qube's NIC to the upstream and starts the services that listen on that cable. */
  async cable(uplinkNetns: string): Promise<void> {
    const ns = UPSTREAM_NETNS;
    await this.kernel.addVeth(
      { netns: ns, dev: UPSTREAM.device, mac: '02:00:c0:00:02:01' },
      { netns: uplinkNetns, dev: UPSTREAM.uplinkDevice, mac: UPSTREAM.uplinkMac },
    );
    for (const a of [UPSTREAM.gateway, ...UPSTREAM.dns]) {
      await this.kernel.ip(ns, ['addr', 'add', `${a}/${UPSTREAM.prefixLen}`, 'dev', UPSTREAM.device]);
    }
    await this.kernel.ip(ns, [
      'addr',
      'add',
      `${UPSTREAM.gateway6}/${UPSTREAM.prefixLen6}`,
      'dev',
      UPSTREAM.device,
      'nodad',
    ]);
    await this.kernel.ip(ns, ['link', 'set', UPSTREAM.device, 'up']);
    await this.startServices();
  }

  /** The VPN provider: its tunnel's server end and the DNS server it tells its clients to use. */
  async startVpnServer(): Promise<void> {
    for (const args of planVpnServer()) await this.kernel.ip(UPSTREAM_NETNS, args);
    await this.startVpnDns();
  }

  /** Its dnsmasq listens on the tunnel's address: only once the tunnel exists (again after a restart). */
  private async startVpnDns(): Promise<void> {
    const log = this.layout.dnsmasqLog(VPN.dnsLogIndex);
    const pid = `${this.layout.upstreamDir}/dnsmasq-vpn.pid`;
    const args = planVpnDnsmasqArgs({ pid, log }, { name: DNS_RECORDS.name, a: DNS_RECORDS.a });
    this.procs.start('dnsmasq-vpn', 'ip', ['netns', 'exec', UPSTREAM_NETNS, 'dnsmasq', ...args]);
    await this.procs.waitReady('dnsmasq-vpn', () => this.answers(VPN.serverTunnelIp));
  }

  private async answers(server: string): Promise<boolean> {
    const r = await runCollect('ip', [
      'netns',
      'exec',
      UPSTREAM_NETNS,
      this.bins.node,
      this.bins.probe,
      'dns',
      server,
      DNS_RECORDS.name,
      '--timeout',
      '300',
    ]);
    return r.stdout.includes('"ok":true');
  }

  /** The resolvers and echo services; again after `qnet sim restart upstream` stopped them. */
  async startServices(): Promise<void> {
    rmSync(`${this.layout.upstreamDir}/echo.ready`, { force: true });
    const inNs = (file: string, args: string[]) => ['netns', 'exec', UPSTREAM_NETNS, file, ...args];
    for (const index of [0, 1] as const) {
      const pid = `${this.layout.upstreamDir}/dnsmasq-${index}.pid`;
      this.procs.start(
        `dnsmasq-${index}`,
        'ip',
        inNs('dnsmasq', planDnsmasqArgs(index, { pid, log: this.layout.dnsmasqLog(index) })),
      );
    }
    const ready = `${this.layout.upstreamDir}/echo.ready`;
    this.procs.start(
      'echo',
      'ip',
      inNs(this.bins.node, [
        this.bins.echo,
        ...echoListen().flatMap((l) => ['--listen', l]),
        '--log',
        this.layout.echoLog(),
        '--ready',
        ready,
      ]),
    );
    writeFileSync(this.layout.echoLog(), '');
    await this.procs.waitReady('echo', () => existsSync(ready));
    for (const index of [0, 1] as const) {
      await this.procs.waitReady(`dnsmasq-${index}`, () => this.answers(UPSTREAM.dns[index]));
    }
    if (await this.kernel.linkExists(UPSTREAM_NETNS, VPN.device)) await this.startVpnDns();
  }
}

// Runs the real qnet-agent binary inside a ProviderLab's provider namespace, with its own state and run
// directories, and probes forbidden destinations from the client namespace while it works.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FirewallSyncDocument } from '../../../../services/firewall-sync';
import type { NetConfigDocument } from '../../../../services/net-config';
import { encode } from '../../../../shared/codec/strict-unpackr';
import { rootSkipReason } from '../../../helpers/netns';
import { runProcess, tempDir } from '../../../helpers/processes';
import { CLIENT, ProviderLab } from './provider-lab';

export const AGENT_MAIN = join(__dirname, '..', '..', '..', '..', 'vm-side', 'main.js');

/** sys-firewall's NetConfig in the lab: one client, work, on vif5.0; IPv4 only. */
export const providerDoc = (generation: number): NetConfigDocument => ({
  generation,
  qube: 'sys-firewall',
  provider: { ip: '10.137.0.1', ipv6: false, clients: [{ name: 'work', ip: CLIENT.ip, vif: 'vif5.0' }] },
});

/** work may reach port `allowed` of anything, nothing else. */
export const firewallDoc = (generation: number, allowed: number): FirewallSyncDocument => ({
  generation,
  clients: [
    {
      name: 'work',
      ip: CLIENT.ip,
      dns: ['10.139.1.1', '10.139.1.2'],
      rules: [{ action: 'accept', proto: 'tcp', dstports: { from: allowed, to: allowed } }],
    },
  ],
});

export class ProviderAgent {
  readonly env: NodeJS.ProcessEnv;

  constructor(
    readonly lab: ProviderLab,
    readonly dir: string,
    extraEnv: NodeJS.ProcessEnv = {},
  ) {
    this.env = {
      QNET_STATE_DIR: join(dir, 'state'),
      QNET_RUN_DIR: join(dir, 'run'),
      QNET_RESOLV_CONF: join(dir, 'resolv.conf'),
      QNET_PROTECTED_FILES_DIR: join(dir, 'protected'),
      QNET_RESOLVECTL: '',
      QNET_NMCLI: '',
      QNET_LOG_LEVEL: 'error',
      // dom0 is unreachable: the boot pull fails at once and the saved documents count.
      QNET_QREXEC_CLIENT_VM: '/bin/false',
      QNET_INIT_ATTEMPTS: '1',
      ...extraEnv,
    };
  }

  /** What a previous run of the agent left behind: its applied documents. */
  save(service: string, doc: { generation: number; [key: string]: unknown }): void {
    mkdirSync(this.env.QNET_STATE_DIR as string, { recursive: true });
    writeFileSync(
      join(this.env.QNET_STATE_DIR as string, `${service}.json`),
      JSON.stringify({ generation: doc.generation, document: doc }),
    );
  }

  /** A rebooted provider: no forwarding and no tables (the lab's addresses and routes stay; the plan keeps them). */
  reboot(): void {
    this.lab.provider.exec('nft', ['flush', 'ruleset']);
    this.lab.provider.exec('sysctl', ['-qw', 'net.ipv4.ip_forward=0', 'net.ipv6.conf.all.forwarding=0']);
  }

  run(args: string[], input: Buffer = Buffer.alloc(0), env: NodeJS.ProcessEnv = {}) {
    return runProcess('ip', ['netns', 'exec', this.lab.provider.name, process.execPath, AGENT_MAIN, ...args], input, {
      ...this.env,
      ...env,
    });
  }

  /** The executable form, called by dom0. */
  service(service: string, doc: unknown, env: NodeJS.ProcessEnv = {}) {
    return this.run(['service', service], Buffer.from(encode(doc)), {
      QREXEC_REMOTE_DOMAIN: 'dom0',
      QREXEC_SERVICE_FULL_NAME: service,
      ...env,
    });
  }

  spawn(args: string[]): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.lab.provider.name, process.execPath, AGENT_MAIN, ...args], {
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  }
}

/**
 * Connects from the client namespace to host:port again and again (each try
 * 150 ms at most) until stopped; `stop()` answers how many connections
 * succeeded and how many were tried.
 */
export function startProber(lab: ProviderLab, host: string, port: number) {
  const script = `const net=require('net');let open=0,tries=0,stop=false;
process.stdin.on('end',()=>{stop=true});process.stdin.resume();
(function loop(){if(stop){console.log(JSON.stringify({open,tries}));process.exit(0)}
tries++;const s=net.connect({host:'${host}',port:${port}});let done=false;
const fin=()=>{if(done)return;done=true;s.destroy();setTimeout(loop,5)};
s.setTimeout(150,fin);s.on('connect',()=>{open++;fin()});s.on('error',fin);})();`;
  const child = spawn('ip', ['netns', 'exec', lab.client.name, process.execPath, '-e', script], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return {
    stop: () =>
      new Promise<{ open: number; tries: number }>((resolve, reject) => {
        child.once('close', () => {
          try {
            resolve(JSON.parse(out) as { open: number; tries: number });
          } catch {
            reject(new Error(`prober said ${JSON.stringify(out)}`));
          }
        });
        child.stdin.end();
      }),
  };
}

/**
 * An `nft` that is slow on demand: while `slow(seconds)` is in effect every
 * batch (not a listing) waits that long first. Pass `path` as QNET_NFT.
 */
export function slowNft(dir: string) {
  const mark = join(dir, 'slow-nft-seconds');
  const path = join(dir, 'slow-nft');
  writeFileSync(
    path,
    `#!/bin/sh\nif [ -e "${mark}" ]; then case " $* " in *" list "*) ;; *) sleep "$(cat "${mark}")";; esac; fi\nexec nft "$@"\n`,
    { mode: 0o755 },
  );
  return {
    path,
    slow: (seconds: number) => writeFileSync(mark, String(seconds)),
    fast: () => rmSync(mark, { force: true }),
  };
}

/**
 * The mocha hooks most provider tests share: skip without root or `tools`,
 * then a fresh lab listening on `ports` and a temp folder per test, both
 * removed after it. The getters throw outside a test.
 */
export function useProviderLab(tag: string, ports: readonly number[], tools: readonly string[]) {
  let lab: ProviderLab | undefined;
  let dir: ReturnType<typeof tempDir> | undefined;
  before(function () {
    if (rootSkipReason([...tools])) this.skip();
  });
  beforeEach(async () => {
    lab = new ProviderLab();
    dir = tempDir(tag);
    await lab.listen([...ports]);
  });
  afterEach(() => {
    lab?.dispose();
    dir?.dispose();
  });
  return {
    get lab(): ProviderLab {
      if (!lab) throw new Error('no provider lab outside a test');
      return lab;
    },
    get dir(): string {
      if (!dir) throw new Error('no temp folder outside a test');
      return dir.path;
    },
  };
}

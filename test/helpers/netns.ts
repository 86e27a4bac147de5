import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** Why a root-only test cannot run here, or undefined when it can. */
export function rootSkipReason(tools: readonly string[] = ['ip', 'nft']): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  for (const tool of tools) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `needs ${tool} on PATH`;
  }
  return undefined;
}

/** A throw-away network namespace. Names carry a `qnt-` prefix so leftovers are easy to find and remove. */
export class Netns {
  readonly name: string;

  constructor(label = 'ns') {
    this.name = `qnt-${label}-${randomBytes(3).toString('hex')}`.slice(0, 31);
    execFileSync('ip', ['netns', 'add', this.name]);
    this.exec('ip', ['link', 'set', 'lo', 'up']);
  }

  /** Runs a command inside the namespace; throws with its stderr on failure. */
  exec(file: string, args: readonly string[], input?: string): string {
    return execFileSync('ip', ['netns', 'exec', this.name, file, ...args], {
      encoding: 'utf8',
      input,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  }

  /** The same, returning the exit status instead of throwing. */
  run(file: string, args: readonly string[]): { status: number; stdout: string; stderr: string } {
    const r = spawnSync('ip', ['netns', 'exec', this.name, file, ...args], { encoding: 'utf8' });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  json<T = unknown>(file: string, args: readonly string[]): T {
    return JSON.parse(this.exec(file, args)) as T;
  }

  /** Deleting the namespace takes its interfaces, routes and nftables ruleset with it. */
  dispose(): void {
    spawnSync('ip', ['netns', 'del', this.name]);
  }
}

/** A veth pair between two namespaces (or one end in each), as Xen's vif/eth0 pair. */
export function vethPair(
  a: Netns,
  aName: string,
  b: Netns,
  bName: string,
  opts: { aMac?: string; bMac?: string } = {},
) {
  const tmpA = `qa${randomBytes(4).toString('hex')}`;
  const tmpB = `qb${randomBytes(4).toString('hex')}`;
  execFileSync('ip', ['link', 'add', tmpA, 'type', 'veth', 'peer', 'name', tmpB]);
  execFileSync('ip', ['link', 'set', tmpA, 'netns', a.name]);
  execFileSync('ip', ['link', 'set', tmpB, 'netns', b.name]);
  a.exec('ip', ['link', 'set', tmpA, 'name', aName, ...(opts.aMac ? ['address', opts.aMac] : [])]);
  b.exec('ip', ['link', 'set', tmpB, 'name', bName, ...(opts.bMac ? ['address', opts.bMac] : [])]);
}

import { join } from 'node:path';
import type { HostLookup, HostResolver, HostResolverOptions } from '../../../../vm-side/firewall/host-resolver';
import type { Netns } from '../../../helpers/netns';

/**
 * The real DnsHostResolver, run in a child inside `ns`: its DNS traffic stays
 * in the namespace (a socket of this process would use the host's network).
 */
export function resolveInside(
  ns: Netns,
  names: readonly string[],
  options: HostResolverOptions,
): Record<string, HostLookup> {
  const script = `require(${JSON.stringify(require.resolve('reflect-metadata'))});
const { DnsHostResolver } = require(${JSON.stringify(join(__dirname, '../../../../vm-side/firewall/dns-host-resolver.js'))});
const { NodeTextFiles } = require(${JSON.stringify(join(__dirname, '../../../../vm-side/executors/text-files.js'))});
const r = new DnsHostResolver(${JSON.stringify(options)}, new NodeTextFiles());
(async () => { const out = {}; for (const n of ${JSON.stringify(names)}) out[n] = await r.resolve(n); console.log(JSON.stringify(out)); })();`;
  return JSON.parse(ns.exec(process.execPath, ['-e', script])) as Record<string, HostLookup>;
}

/** A HostResolver for an engine in this process whose lookups run in the namespace. */
export class NetnsHostResolver implements HostResolver {
  constructor(
    private readonly ns: Netns,
    private readonly options: HostResolverOptions,
  ) {}

  async resolve(name: string): Promise<HostLookup> {
    return resolveInside(this.ns, [name], this.options)[name];
  }
}

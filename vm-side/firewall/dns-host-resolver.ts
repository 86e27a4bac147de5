import { Resolver } from 'node:dns/promises';
import { parseResolvConf } from '../dns/parse-resolv-conf';
import { TextFiles } from '../executors/text-files';
import { inject, injectable } from 'tsyringe';
import { HostResolverOptions, type FamilyLookup, type HostLookup, type HostResolver } from './host-resolver';

interface RecordWithTtl {
  address: string;
  ttl: number;
}

/** c-ares codes that mean "the name has no record of this type", which is an answer, not a failure. */
const NO_DATA = new Set(['ENODATA']);

/**
 * node:dns with `{ttl: true}`, so every answer carries the TTL the refresh is
 * scheduled by (section 5: upstream resolved once and never again).
 */
@injectable()
export class DnsHostResolver implements HostResolver {
  private readonly resolver: Resolver;
  private servers = '';

  constructor(
    @inject(HostResolverOptions) private readonly options: HostResolverOptions,
    @inject(TextFiles) private readonly files: Pick<TextFiles, 'read'>,
  ) {
    this.resolver = new Resolver({ timeout: options.timeoutMs ?? 2000, tries: options.tries ?? 2 });
    if (options.servers && options.servers.length > 0) this.resolver.setServers([...options.servers]);
  }

  /** Follows the managed resolv.conf; a missing or empty file leaves the previous servers in place. */
  private async refreshServers(): Promise<void> {
    if (!this.options.resolvConf || (this.options.servers && this.options.servers.length > 0)) return;
    let text: string | undefined;
    try {
      text = await this.files.read(this.options.resolvConf);
    } catch {
      return;
    }
    if (text === undefined) return;
    const servers = parseResolvConf(text);
    if (servers.length === 0 || servers.join(',') === this.servers) return;
    this.resolver.setServers(servers);
    this.servers = servers.join(',');
  }

  async resolve(name: string): Promise<HostLookup> {
    await this.refreshServers();
    const [ip, ip6] = await Promise.all([
      this.family(() => this.resolver.resolve4(name, { ttl: true })),
      this.family(() => this.resolver.resolve6(name, { ttl: true })),
    ]);
    return { ip, ip6 };
  }

  private async family(lookup: () => Promise<RecordWithTtl[]>): Promise<FamilyLookup> {
    try {
      const records = await lookup();
      if (records.length === 0) return { addresses: [] };
      return { addresses: records.map((r) => r.address), ttl: Math.min(...records.map((r) => r.ttl)) };
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && NO_DATA.has(code)) return { addresses: [] };
      return { error: typeof code === 'string' ? code : 'lookup failed' };
    }
  }
}

import { inject, injectable } from 'tsyringe';
import { AgentConfig } from '../config/agent-config';
import { TextFiles } from '../executors/text-files';
import { isLoopback, parseResolvConf } from './parse-resolv-conf';

/** A resolv.conf is a few hundred bytes; a huge file is cut, not parsed whole. */
const MAX_RESOLV_CONF = 64 * 1024;
const capped = (text: string | undefined) => (text ?? '').slice(0, MAX_RESOLV_CONF);

/**
 * The provider's own upstream DNS servers: its resolv.conf, or, when that
 * only names a local stub, systemd-resolved's list of real servers.
 */
@injectable()
export class SystemUpstream {
  constructor(
    @inject(TextFiles) private readonly files: TextFiles,
    @inject(AgentConfig) private readonly config: Pick<AgentConfig, 'resolvConf' | 'resolvedConf'>,
  ) {}

  async read(): Promise<string[]> {
    const own = parseResolvConf(capped(await this.files.read(this.config.resolvConf)));
    const real = own.filter((ip) => !isLoopback(ip));
    if (real.length > 0 || own.length === 0) return real;
    const resolved = parseResolvConf(capped(await this.files.read(this.config.resolvedConf)));
    return resolved.filter((ip) => !isLoopback(ip));
  }
}

import { inject, injectable } from 'tsyringe';
import { AgentConfig } from '../config/agent-config';
import { TextFiles } from '../executors/text-files';
import { isLoopback, parseResolvConf } from './parse-resolv-conf';

// TextFiles refuses a file past its cap, so what reaches the parser is bounded.
const text = (content: string | undefined) => content ?? '';

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
    const own = parseResolvConf(text(await this.files.read(this.config.resolvConf)));
    const real = own.filter((ip) => !isLoopback(ip));
    if (real.length > 0 || own.length === 0) return real;
    const resolved = parseResolvConf(text(await this.files.read(this.config.resolvedConf)));
    return resolved.filter((ip) => !isLoopback(ip));
  }
}

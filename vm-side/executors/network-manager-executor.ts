import { rm } from 'node:fs/promises';
import { inject, injectable } from 'tsyringe';
import { token } from '../../shared/di/token';
import { CommandRunner } from '../../shared/exec/command-runner';
import { Logger } from '../../shared/logging/logger';
import { AgentConfig } from '../config/agent-config';
import { NM_CONNECTION_MODE, type NmConnectionWrite } from '../planners/plan-nm-connection';
import { isExecutable } from './find-executable';
import { TextFiles } from './text-files';

/** A NetworkManager-managed uplink: the profile on disk, and NetworkManager told to read it. */
export interface NetworkManagerExecutor {
  /** setup-ip's `[ -e /usr/bin/nmcli ]`. */
  available(): Promise<boolean>;
  apply(write: NmConnectionWrite): Promise<void>;
  /** Removes a profile qnet wrote; NetworkManager forgets it on the next load of that path. */
  remove(path: string): Promise<void>;
}
export const NetworkManagerExecutor = token<NetworkManagerExecutor>('NetworkManagerExecutor');

@injectable()
export class NmcliNetworkManagerExecutor implements NetworkManagerExecutor {
  constructor(
    @inject(CommandRunner) private readonly run: CommandRunner,
    @inject(TextFiles) private readonly files: TextFiles,
    @inject(AgentConfig) private readonly config: Pick<AgentConfig, 'nmcliBinary'>,
    @inject(Logger) private readonly log: Logger,
  ) {}

  available(): Promise<boolean> {
    return isExecutable(this.config.nmcliBinary);
  }

  async apply(write: NmConnectionWrite): Promise<void> {
    // 0600: NetworkManager ignores a keyfile that others can read.
    await this.files.write(write.path, write.content, NM_CONNECTION_MODE);
    await this.load(write.path);
  }

  async remove(path: string): Promise<void> {
    await rm(path, { force: true });
    if (await this.available()) await this.load(path);
  }

  private async load(path: string): Promise<void> {
    try {
      await this.run.exec(this.config.nmcliBinary, ['connection', 'load', path], { timeoutMs: 10_000 });
    } catch (err) {
      // As setup-ip (`|| :`): the profile is in place and NetworkManager reads it when it starts.
      this.log.warn(`nmcli connection load ${path} failed: ${(err as Error).message}`);
    }
  }
}

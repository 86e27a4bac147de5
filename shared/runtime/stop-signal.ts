import type { Logger } from '../logging/logger';

/**
 * Resolves on the first SIGTERM or SIGINT: a long-running root then disposes what it built.
 * Without a logger (a root that reports on stderr itself) the signal is not logged.
 */
export function untilStopSignal(log?: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      log?.info(`${signal}: stopping`);
      resolve(signal);
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

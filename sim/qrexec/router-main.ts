#!/usr/bin/env node
import 'reflect-metadata';
import { untilStopSignal } from '../../shared/runtime/stop-signal';
import { readFileSync } from 'node:fs';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import { PolicySnapshotProvider, PolicySource } from '../../policy/policy-source';
import { PolicyEngineHook } from './policy-engine-hook';
import { createLogger, Logger, logOptionsFromEnv } from '../../shared/logging/logger';
import { PolicyHook } from './policy-hook';
import { Router, RouterConfig } from './router';
import { SimRouterFile } from './router-config';

/** The simulator's qrexec-daemon stand-in: the router gated by the real policy engine. */
export function buildRouterContainer(file: SimRouterFile, policy: PolicySource, logger: Logger): DependencyContainer {
  const c = rootContainer.createChildContainer();
  c.register(RouterConfig, {
    useValue: { adminVm: file.adminVm, callTimeoutMs: file.callTimeoutMs, qubes: file.qubes },
  });
  c.register(Logger, { useValue: logger });
  c.register(PolicySnapshotProvider, { useValue: policy });
  c.register(PolicyHook, { useClass: PolicyEngineHook });
  c.register(Router, { useClass: Router });
  return c;
}

async function main(argv: string[]): Promise<void> {
  const at = argv.indexOf('--config');
  if (at < 0 || !argv[at + 1]) throw new Error('usage: router-main --config FILE');
  const file = SimRouterFile.parse(JSON.parse(readFileSync(argv[at + 1], 'utf8')));
  const logger = createLogger(logOptionsFromEnv(process.env, 'qnet-sim-router'));
  const policy = new PolicySource({ policyDirs: file.policyDirs, systemInfoPath: file.systemInfoPath, log: logger });
  policy.start();
  const router = buildRouterContainer(file, policy, logger).resolve(Router);
  await router.start();
  logger.info(`routing for ${file.qubes.length} qubes`);
  await untilStopSignal(logger);
  await Promise.all([router.dispose(), policy.dispose()]);
  process.exit(0);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`qnet-sim-router: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(70);
  });
}

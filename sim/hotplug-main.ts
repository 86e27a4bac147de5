#!/usr/bin/env node
import 'reflect-metadata';
import { untilStopSignal } from '../shared/runtime/stop-signal';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createLogger, logOptionsFromEnv } from '../shared/logging/logger';
import { Qubes } from '../dom0-side/sdk';
import { HotplugSupervisor, type HotplugPass } from './hotplug-supervisor';
import { SdkHotplugSource } from './sdk-hotplug-source';
import { SimHotplugCables } from './sim-hotplug-cables';
import { SimKernel } from './sim-kernel';
import { SimLayout } from './sim-layout';
import { ADMIN_DIR } from './simulation';
import { parseTopology } from './topology';

/** What `qnet sim status` and the tests can read: passes made, and the last one that changed a cable. */
export interface HotplugStatus {
  readonly passes: number;
  readonly at: string;
  readonly lastChange?: HotplugPass & { readonly at: string };
}

/** The simulation's hot-plug supervisor: started by `sim up` once every qube booted, stopped by `down`. */
async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { 'sim-dir': { type: 'string' } } });
  if (!values['sim-dir']) throw new Error('usage: hotplug-main --sim-dir DIR');
  const layout = new SimLayout(values['sim-dir']);
  const topology = parseTopology(JSON.parse(readFileSync(layout.topologyFile, 'utf8')));
  const log = createLogger(logOptionsFromEnv(process.env, 'qnet-sim-hotplug'));
  const app = await Qubes.connect({ runDir: layout.runDir(ADMIN_DIR) });
  // Where "now" is in qnetd's event log, before the first pass: no change falls between the two.
  await app.events.ready();
  let status: HotplugStatus = { passes: 0, at: new Date().toISOString() };
  const record = (pass: HotplugPass) => {
    const at = new Date().toISOString();
    const changed = pass.plugged.length + pass.unplugged.length + pass.repushed.length > 0;
    const lastChange = changed ? { ...pass, at } : status.lastChange;
    status = { passes: status.passes + 1, at, ...(lastChange ? { lastChange } : {}) };
    // Renamed into place: a reader never sees half a file.
    writeFileSync(`${layout.hotplugStatusFile}.tmp`, `${JSON.stringify(status, null, 2)}\n`);
    renameSync(`${layout.hotplugStatusFile}.tmp`, layout.hotplugStatusFile);
  };
  const supervisor = new HotplugSupervisor(
    new SdkHotplugSource(app),
    new SimHotplugCables(new SimKernel()),
    topology.qubes.map((q) => q.name),
    log,
    { pollMs: 5_000, retryMs: 1_000 },
    record,
  );
  await supervisor.start();
  log.info(`watching ${topology.qubes.length} qubes`);
  await untilStopSignal();
  await supervisor.dispose();
  app.close();
  process.exit(0);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`qnet-sim-hotplug: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(70);
  });
}

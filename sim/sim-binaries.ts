import { join, resolve } from 'node:path';

/**
 * The compiled entry points the simulator starts, found relative to this
 * file so the sim runs from `dist/` or any other build folder alike.
 */
export interface SimBinaries {
  readonly node: string;
  readonly qnet: string;
  readonly qnetd: string;
  /**
   * The agent's entry, run as `node AGENT …`: the build's, or (QNET_SIM_AGENT)
   * another one, such as the qnet-agent a package installed, so the e2e checks
   * prove what users install.
   */
  readonly agent: string;
  readonly router: string;
  /** The hot-plug supervisor: moves a running qube's vif when its netvm changes. */
  readonly hotplug: string;
  readonly probe: string;
  readonly echo: string;
  /** The simulation's qrexec-client-vm: a qube's calls go through its own router socket. */
  readonly qrexecClientVm: string;
  /** The shipped policy lives in the source tree (`policy/policy.d`), not in the build folder. */
  readonly shippedPolicyDir: string;
}

export function simBinaries(env: NodeJS.ProcessEnv = process.env): SimBinaries {
  const build = resolve(__dirname, '..');
  return {
    node: process.execPath,
    qnet: join(build, 'dom0-side/cli/main.js'),
    qnetd: join(build, 'dom0-side/daemon/main.js'),
    agent: env.QNET_SIM_AGENT ? resolve(env.QNET_SIM_AGENT) : join(build, 'vm-side/main.js'),
    router: join(__dirname, 'qrexec/router-main.js'),
    hotplug: join(__dirname, 'hotplug-main.js'),
    probe: join(__dirname, 'tools/sim-probe.js'),
    echo: join(__dirname, 'tools/upstream-echo.js'),
    qrexecClientVm: join(__dirname, 'qrexec/qrexec-client-vm-shim.js'),
    shippedPolicyDir: env.QNET_SIM_POLICY_DIR || resolve(build, '..', 'policy/policy.d'),
  };
}

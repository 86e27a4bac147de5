import type { HotplugCables } from './hotplug-supervisor';
import { VIF_NAME, type ObservedVif } from './planners/plan-hotplug';
import { GUEST_DEVICE, netnsOf, VIF_MAC, type SimLink } from './planners/plan-sim';
import type { SimKernel } from './sim-kernel';

/** The simulation's cables as veth pairs: `vif<xid>.0` in the provider's namespace, eth0 in the client's. */
export class SimHotplugCables implements HotplugCables {
  constructor(private readonly kernel: SimKernel) {}

  async observe(qubes: readonly string[]): Promise<ObservedVif[]> {
    const found = await Promise.all(
      qubes.map(async (provider) =>
        (await this.kernel.linkNames(netnsOf(provider)))
          .filter((name) => VIF_NAME.test(name))
          .map((vif) => ({ provider, vif })),
      ),
    );
    return found.flat();
  }

  /** Born down, as Xen's are: the agents' pushes configure and raise both ends. */
  async plug(link: SimLink): Promise<void> {
    await this.kernel.addVeth(
      { netns: netnsOf(link.provider), dev: link.vif, mac: VIF_MAC },
      { netns: netnsOf(link.client), dev: GUEST_DEVICE, mac: link.clientMac },
    );
  }

  /** The peer (the client's eth0) goes with it. */
  async unplug(vif: ObservedVif): Promise<void> {
    await this.kernel.deleteLink(netnsOf(vif.provider), vif.vif);
  }
}

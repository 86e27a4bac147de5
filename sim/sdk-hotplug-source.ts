import type { Qubes } from '../dom0-side/sdk';
import type { HotplugSource } from './hotplug-supervisor';
import type { HotplugQube } from './planners/plan-hotplug';
import { GUEST_MAC } from './planners/plan-sim';

/** qnetd through the dom0 SDK, as any dom0 script would use it. */
export class SdkHotplugSource implements HotplugSource {
  constructor(
    private readonly app: Qubes,
    private readonly pushTimeoutMs = 30_000,
  ) {}

  async qubes(): Promise<HotplugQube[]> {
    return (await this.app.domains.list()).map((q) => ({
      name: q.name,
      qid: q.qid,
      netvm: q.netvm,
      power: q.power,
      ...(q.xid >= 0 ? { xid: q.xid } : {}),
      mac: q.mac ?? GUEST_MAC,
    }));
  }

  async pushAgain(qubes: readonly string[]): Promise<string[]> {
    const report = await (await this.app.push(qubes)).wait({ timeoutMs: this.pushTimeoutMs });
    const behind = report.results.filter((r) => r.outcome === 'failed' || r.outcome === 'pending');
    return [...new Set(behind.map((r) => r.qube))];
  }

  onNetConfigPush(listener: () => void): () => void {
    const onPush = (e: { service: string }) => {
      if (e.service === 'qubes.NetConfig') listener();
    };
    const offs = [this.app.events.on('push-done', onPush), this.app.events.on('push-failed', onPush)];
    return () => offs.forEach((off) => off());
  }
}

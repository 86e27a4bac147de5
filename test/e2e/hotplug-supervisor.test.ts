// The hot-plug supervisor's logic against fakes of qnetd and the kernel: no root needed.
import assert from 'node:assert/strict';
import { HotplugSupervisor, type HotplugCables, type HotplugSource } from '../../sim/hotplug-supervisor';
import { desiredCables, planHotplug, type HotplugQube, type ObservedVif } from '../../sim/planners/plan-hotplug';
import type { SimLink } from '../../sim/planners/plan-sim';
import { silentLogger } from '../../shared/logging/logger';

const SIM = new Set(['net', 'fw', 'work', 'personal']);
const MAC = '00:16:3e:5e:6c:00';
/** Booted in qid order, so each qube's first xid equals its qid here; a halted qube has none. */
const qube = (
  name: string,
  qid: number,
  netvm: string | null,
  power: HotplugQube['power'] = 'running',
): HotplugQube => ({
  name,
  qid,
  netvm,
  power,
  ...(power === 'running' ? { xid: qid } : {}),
  mac: MAC,
});
const booted: HotplugQube[] = [
  qube('net', 2, null),
  qube('fw', 3, 'net'),
  qube('work', 4, 'fw'),
  qube('personal', 5, 'fw'),
];
const cabled: ObservedVif[] = [
  { provider: 'net', vif: 'vif3.0' },
  { provider: 'fw', vif: 'vif4.0' },
  { provider: 'fw', vif: 'vif5.0' },
];
const withNetvm = (name: string, netvm: string | null) => booted.map((q) => (q.name === name ? { ...q, netvm } : q));

describe('planHotplug', () => {
  it('plans nothing for the cables as booted', () => {
    assert.deepEqual(planHotplug(booted, SIM, cabled), { unplug: [], plug: [], repush: [] });
  });

  it('a netvm change detaches the vif at the old netvm, attaches it at the new one, pushes both again', () => {
    assert.deepEqual(planHotplug(withNetvm('work', 'net'), SIM, cabled), {
      unplug: [{ provider: 'fw', vif: 'vif4.0' }],
      plug: [{ provider: 'net', client: 'work', vif: 'vif4.0', clientMac: MAC }],
      repush: ['net', 'work'],
    });
  });

  it('netvm none only detaches; back from none only attaches', () => {
    assert.deepEqual(planHotplug(withNetvm('work', null), SIM, cabled), {
      unplug: [{ provider: 'fw', vif: 'vif4.0' }],
      plug: [],
      repush: [],
    });
    const without = cabled.filter((c) => c.vif !== 'vif4.0');
    assert.deepEqual(planHotplug(booted, SIM, without).plug, [
      { provider: 'fw', client: 'work', vif: 'vif4.0', clientMac: MAC },
    ]);
  });

  it('no cable for a halted qube, behind a halted netvm, or for a qube without a namespace', () => {
    const qubes = [...withNetvm('personal', 'fw'), qube('byhand', 9, 'fw')].map((q) =>
      q.name === 'personal' ? { ...q, power: 'halted' as const } : q,
    );
    assert.deepEqual(
      desiredCables(qubes, SIM).map((l) => l.vif),
      ['vif3.0', 'vif4.0'],
    );
    const fwDown = booted.map((q) => (q.name === 'fw' ? { ...q, power: 'halted' as const } : q));
    assert.deepEqual(
      desiredCables(fwDown, SIM).map((l) => l.vif),
      [],
    );
  });

  it('a restart under a new xid renames the vif: the old one is detached, one named after the new xid attached', () => {
    const restarted = booted.map((q) => (q.name === 'work' ? { ...q, xid: 14 } : q));
    assert.deepEqual(planHotplug(restarted, SIM, cabled), {
      unplug: [{ provider: 'fw', vif: 'vif4.0' }],
      plug: [{ provider: 'fw', client: 'work', vif: 'vif14.0', clientMac: MAC }],
      repush: ['fw', 'work'],
    });
  });

  it("the client's end carries the qube's own mac; a running qube without an xid yet gets no cable", () => {
    const custom = booted.map((q) => (q.name === 'personal' ? { ...q, mac: '00:16:3e:12:34:56' } : q));
    assert.equal(desiredCables(custom, SIM).find((l) => l.client === 'personal')?.clientMac, '00:16:3e:12:34:56');
    const building = booted.map((q) => (q.name === 'work' ? { ...q, xid: undefined } : q));
    assert.deepEqual(
      desiredCables(building, SIM).map((l) => l.vif),
      ['vif3.0', 'vif5.0'],
    );
  });

  it('a vif no qube claims (the qube was removed) is detached', () => {
    const plan = planHotplug(booted, SIM, [...cabled, { provider: 'fw', vif: 'vif8.0' }]);
    assert.deepEqual(plan.unplug, [{ provider: 'fw', vif: 'vif8.0' }]);
  });
});

/** qnetd and the kernel as data: the cables move in `vifs`, pushes are recorded. */
class FakeWorld implements HotplugSource, HotplugCables {
  qubeList: HotplugQube[] = booted;
  vifs: ObservedVif[] = [...cabled];
  pushes: string[][] = [];
  failing = new Set<string>();
  ops: string[] = [];
  private listener: (() => void) | undefined;

  qubes = async () => this.qubeList;
  async pushAgain(qubes: readonly string[]) {
    this.pushes.push([...qubes]);
    return qubes.filter((q) => this.failing.has(q));
  }
  onNetConfigPush(listener: () => void) {
    this.listener = listener;
    return () => (this.listener = undefined);
  }
  pushed(): void {
    this.listener?.();
  }
  observe = async () => [...this.vifs];
  async plug(link: SimLink) {
    this.ops.push(`plug ${link.provider} ${link.vif}`);
    this.vifs.push({ provider: link.provider, vif: link.vif });
  }
  async unplug(vif: ObservedVif) {
    this.ops.push(`unplug ${vif.provider} ${vif.vif}`);
    this.vifs = this.vifs.filter((v) => !(v.provider === vif.provider && v.vif === vif.vif));
  }
}

describe('HotplugSupervisor', () => {
  let world: FakeWorld;
  let supervisor: HotplugSupervisor;
  beforeEach(() => {
    world = new FakeWorld();
    supervisor = new HotplugSupervisor(world, world, [...SIM], silentLogger, { pollMs: 60_000, retryMs: 60_000 });
  });
  afterEach(() => supervisor.dispose());

  it('moves the cable on a push event, detaching before attaching, then pushes both ends again', async () => {
    await supervisor.start();
    assert.deepEqual(world.ops, []);
    world.qubeList = withNetvm('work', 'net');
    world.pushed();
    await supervisor.idle();
    assert.deepEqual(world.ops, ['unplug fw vif4.0', 'plug net vif4.0']);
    assert.deepEqual(world.pushes, [['net', 'work']]);
    // Its own pushes cause events again: the next pass finds nothing to do and pushes nothing.
    world.pushed();
    await supervisor.idle();
    assert.equal(world.ops.length, 2);
    assert.equal(world.pushes.length, 1);
  });

  it('a burst of events during a pass makes one more pass, not one per event', async () => {
    let passes = 0;
    const counting = new HotplugSupervisor(
      world,
      world,
      [...SIM],
      silentLogger,
      { pollMs: 60_000, retryMs: 60_000 },
      () => passes++,
    );
    await counting.start();
    passes = 0;
    for (let i = 0; i < 5; i++) counting.kick();
    await counting.idle();
    assert.equal(passes, 2);
    await counting.dispose();
  });

  it('keeps owing a push that failed until one succeeds', async () => {
    await supervisor.start();
    world.qubeList = withNetvm('work', 'net');
    world.failing.add('work');
    world.pushed();
    await supervisor.idle();
    assert.deepEqual(world.pushes, [['net', 'work']]);
    world.failing.clear();
    supervisor.kick();
    await supervisor.idle();
    assert.deepEqual(world.pushes, [['net', 'work'], ['work']]);
    supervisor.kick();
    await supervisor.idle();
    assert.equal(world.pushes.length, 2);
  });

  it('survives a pass that throws (qnetd away) and catches up on the next', async () => {
    await supervisor.start();
    const real = world.qubes;
    world.qubes = async () => {
      throw new Error('qnetd is not running');
    };
    world.qubeList = withNetvm('work', null);
    supervisor.kick();
    await supervisor.idle();
    assert.deepEqual(world.ops, []);
    world.qubes = real;
    supervisor.kick();
    await supervisor.idle();
    assert.deepEqual(world.ops, ['unplug fw vif4.0']);
  });
});

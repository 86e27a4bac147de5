import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { netnsOf } from '../../planners/plan-sim';
import { UPSTREAM } from '../../planners/upstream-plan';
import type { Simulation } from '../../simulation';
import { sleep } from '../../sim-processes';
import { CAST } from '../cast';
import {
  describeProbe,
  lineMaker,
  prefsOf,
  qnet,
  type CheckLine,
  type DemoContext,
  type DemoSection,
} from '../check-line';

const line = lineMaker('user firewall');
/** A port sys-firewall's user script opens to its clients. */
const USER_PORT = 2222;
/** A port work listens on, for nobody but itself. */
const WORK_PORT = 8443;
const [ALLOWED_HOST, OTHER_HOST] = UPSTREAM.services;
const [ALLOWED_PORT] = UPSTREAM.echoPorts;
const HOOKS_DONE = 'firewall hooks done';

/**
 * A TCP echo server inside a qube, as the user's own service would be; a sim process (pid file, log), so
 * `sim down` stops it whatever happens here. The sim dir rides on its command line: that is how the sim
 * knows the pid is still its own.
 */
async function startListener(sim: Simulation, qube: string, ip: string, port: number): Promise<() => Promise<void>> {
  const name = `demo-listener-${qube}-${port}`;
  const script = `require('net').createServer((s)=>s.pipe(s)).listen(${port},'${ip}')`;
  sim.procs.start(name, 'ip', ['netns', 'exec', netnsOf(qube), sim.bins.node, '-e', script, sim.layout.root]);
  await sim.procs.waitReady(name, async () => {
    const r = await sim.execIn(qube, 'ss', ['-Hltn', `sport = :${port}`]);
    return r.stdout.includes(`:${port}`);
  });
  return async () => void (await sim.procs.stop(name));
}

const hooksDoneCount = (sim: Simulation, qube: string): number => {
  try {
    return readFileSync(sim.layout.logFile(`agent-${qube}`), 'utf8').split(HOOKS_DONE).length - 1;
  } catch {
    return 0;
  }
};

async function nftIn(sim: Simulation, qube: string, args: string[]): Promise<string> {
  const r = await sim.execIn(qube, 'nft', args);
  if (r.status !== 0) throw new Error(`nft ${args.join(' ')} in ${qube} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * (a) The documented way to open a port of a netvm: a rule in custom-input from
 * /rw/config/qubes-firewall-user-script. The agent runs the script at each of its
 * starts, after its tables exist: the port is closed before, open after a restart.
 */
async function userScriptLines(ctx: DemoContext): Promise<CheckLine[]> {
  const { sim, probes } = ctx;
  const fw = (await prefsOf(ctx, CAST.firewall)).ip!;
  const script = `${sim.layout.qubeRoot(CAST.firewall)}/rw/config/qubes-firewall-user-script`;
  const stopListener = await startListener(sim, CAST.firewall, fw, USER_PORT);
  try {
    const before = await probes.tcp(CAST.work, fw, USER_PORT, { timeoutMs: 1500 });
    writeFileSync(
      script,
      `#!/bin/sh\n# Repeatable: every start of the firewall service runs it again.\n` +
        `nft flush chain ip qubes custom-input\nnft add rule ip qubes custom-input tcp dport ${USER_PORT} accept\n`,
      { mode: 0o755 },
    );
    ctx.note(`$ qnet sim restart ${CAST.firewall}   # with ${script.slice(sim.layout.root.length + 1)}`);
    const runs = hooksDoneCount(sim, CAST.firewall);
    await sim.restartAgent(CAST.firewall);
    const start = Date.now();
    while (hooksDoneCount(sim, CAST.firewall) === runs && Date.now() - start < 10_000) await sleep(50);
    const after = await probes.tcp(CAST.work, fw, USER_PORT, { timeoutMs: 1500 });
    const chain = await probes.nftChain(CAST.firewall, 'ip', 'custom-input');
    const rule = chain.includes(`tcp dport ${USER_PORT} accept`);
    return [
      line(
        `${CAST.firewall}'s qubes-firewall-user-script rule is in force after its agent restarts`,
        !before.ok && after.ok && rule,
        `${CAST.work} -> ${fw}:${USER_PORT} before: ${describeProbe(before)}; after the restart: ` +
          `${describeProbe(after)}; custom-input ${rule ? 'holds' : 'lacks'} "tcp dport ${USER_PORT} accept"`,
      ),
    ];
  } finally {
    rmSync(script, { force: true });
    await nftIn(sim, CAST.firewall, ['flush', 'chain', 'ip', 'qubes', 'custom-input']).catch(() => undefined);
    await stopListener();
  }
}

/**
 * (b) The input filter is in every qube, not only in providers: work's own
 * listening service answers work itself, not its netvm, until work's user opens
 * it in custom-input (as in rc.local).
 */
async function appInputLines(ctx: DemoContext): Promise<CheckLine[]> {
  const { sim, probes } = ctx;
  const work = (await prefsOf(ctx, CAST.work)).ip!;
  const stopListener = await startListener(sim, CAST.work, work, WORK_PORT);
  try {
    const self = await probes.tcp(CAST.work, work, WORK_PORT, { timeoutMs: 1500 });
    const fromNetvm = await probes.tcp(CAST.firewall, work, WORK_PORT, { timeoutMs: 1500 });
    await nftIn(sim, CAST.work, [
      'add',
      'rule',
      'ip',
      'qubes',
      'custom-input',
      'tcp',
      'dport',
      String(WORK_PORT),
      'accept',
    ]);
    const opened = await probes.tcp(CAST.firewall, work, WORK_PORT, { timeoutMs: 1500 });
    return [
      line(
        `${CAST.work}'s listening port ${WORK_PORT} is not reachable from its netvm ${CAST.firewall}`,
        self.ok && !fromNetvm.ok,
        `from ${CAST.work} itself: ${describeProbe(self)}; from ${CAST.firewall}: ${describeProbe(fromNetvm)}`,
      ),
      line(
        `a custom-input rule in ${CAST.work} opens it (upstream's rc.local way)`,
        opened.ok,
        `from ${CAST.firewall} after "nft add rule ip qubes custom-input tcp dport ${WORK_PORT} accept": ` +
          describeProbe(opened),
      ),
    ];
  } finally {
    await nftIn(sim, CAST.work, ['flush', 'chain', 'ip', 'qubes', 'custom-input']).catch(() => undefined);
    await stopListener();
  }
}

/**
 * (c) A connection the client's firewall forbids ends in the chain's
 * `reject with icmp admin-prohibited`: the client's connect fails at once
 * (EHOSTUNREACH) instead of waiting for its own timeout.
 */
async function fastRefusalLines(ctx: DemoContext): Promise<CheckLine[]> {
  const { probes } = ctx;
  await qnet(
    ctx,
    ['firewall', CAST.work, 'set'],
    `accept proto=tcp dsthost=${ALLOWED_HOST} dstports=${ALLOWED_PORT}\ndrop\n`,
  );
  try {
    const r = await probes.tcp(CAST.work, OTHER_HOST, ALLOWED_PORT, { timeoutMs: 5000 });
    const arrived = probes.echoSightings(r.token).length;
    const ruleset = await ctx.sim.execIn(CAST.firewall, 'nft', ['list', 'table', 'ip', 'qubes-firewall']);
    const rejects = (ruleset.stdout.match(/reject with icmp admin-prohibited/g) ?? []).length;
    return [
      line(
        `a blocked connection from ${CAST.work} fails with admin-prohibited in under a second`,
        !r.ok && r.error === 'EHOSTUNREACH' && r.ms < 1000 && arrived === 0 && rejects > 0,
        `tcp ${OTHER_HOST}:${ALLOWED_PORT} ${describeProbe(r)}; upstream saw it ${arrived} time(s); ` +
          `${CAST.firewall}'s qubes-firewall table ends client chains with "reject with icmp admin-prohibited" ` +
          `(${rejects} rule(s))`,
      ),
    ];
  } finally {
    await qnet(ctx, ['firewall', CAST.work, 'reset']);
  }
}

export const userFirewallSection: DemoSection = {
  title: 'user firewall scripts, the input filter of every qube, fast refusals',
  async run(ctx: DemoContext): Promise<CheckLine[]> {
    return [...(await userScriptLines(ctx)), ...(await appInputLines(ctx)), ...(await fastRefusalLines(ctx))];
  },
};

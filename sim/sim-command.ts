import { spawn, type ChildProcess } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { parseCli, UsageError, writeLine, type CliIo } from '../shared/cli/cli';
import { runDemo } from './demo/run-demo';
import { SimLayout } from './sim-layout';
import { restartTargetOf, type SimTarget } from './sim-targets';
import { checkPrerequisites, Simulation, type SimHealthState } from './simulation';
import { loadTopology } from './topology';

const HELP = `usage: qnet sim COMMAND [--sim-dir DIR] [--json]

Simulated Qubes in network namespaces, configured by the real qnetd,
router, policy and agents, as root.

  up [--topology FILE]    build dom0, the upstream "internet" and every qube
                          (default: sys-net, sys-firewall, work, personal,
                          disp1234); returns when all are configured.
                          A hot-plug supervisor then moves a running
                          qube's vif when its netvm changes by hand
                          (qnet prefs QUBE netvm X|none), as Xen does
  down                    stop every process, remove every namespace and
                          the sim dir (also what an earlier crash left)
  status                  up, degraded (what died, and how to bring it
                          back), starting or down; what qnetd reports.
                          Exit 0 up, 1 degraded, 3 down, 4 starting
  restart QUBE|qnetd|router|hotplug|upstream
                          stop that process gracefully and start it again,
                          the rest of the sim untouched (QUBE: its agent)
  kill QUBE|qnetd|router|hotplug|upstream
                          SIGKILL it, a crash nobody is told about
  exec QUBE -- CMD...     run CMD inside QUBE's namespace, as that qube, with
                          qnet, qnet-agent and qrexec-client-vm on PATH and
                          its resolv.conf as /etc/resolv.conf; a terminal
                          stays one (QUBE may be dom0 or upstream)
  demo [--keep]           (re)build the sim, run the scripted scenario and
                          print one PASS/FAIL line per check; exit 1 on any
                          FAIL. --keep leaves the sim up afterwards

The sim dir (--sim-dir, QNET_SIM_DIR, default /run/qnet-sim) holds the
router sockets, each qube's qrexec service dir, state, pid files and logs.`;

const COMMON = {
  'sim-dir': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Ctrl-C and SIGTERM abort the running step; the command then tears down what it built. */
function abortOnSignals(): { signal: AbortSignal; release(): void } {
  const ctl = new AbortController();
  const onSignal = () => ctl.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: ctl.signal,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

async function up(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCli(argv, { ...COMMON, topology: { type: 'string' } });
  if (values.help) return help(io);
  if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const topology = loadTopology(values.topology);
  const sim = new Simulation(SimLayout.fromEnv(io.env, values['sim-dir']), undefined, (l) => {
    if (!values.json) writeLine(io.stderr, `qnet sim: ${l}`);
  });
  const signals = abortOnSignals();
  try {
    const state = await sim.up(topology, signals.signal);
    if (values.json) writeLine(io.stdout, JSON.stringify({ dir: sim.layout.root, upMs: state.upMs }));
    else writeLine(io.stdout, `simulation up in ${state.upMs} ms (${sim.layout.root}); try: qnet sim demo`);
    return 0;
  } finally {
    signals.release();
  }
}

async function down(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCli(argv, COMMON, false);
  if (values.help) return help(io);
  checkPrerequisites();
  const report = await new Simulation(SimLayout.fromEnv(io.env, values['sim-dir'])).down();
  if (values.json) writeLine(io.stdout, JSON.stringify(report));
  else {
    writeLine(
      io.stdout,
      `stopped ${report.processes} processes, removed ${report.namespaces.length} namespaces` +
        (report.removedDir ? ' and the sim dir' : ''),
    );
  }
  return 0;
}

/** `qnet sim status` exit codes, after LSB's status actions: 1 is "dead, pid file remains". */
const STATUS_EXIT: Record<SimHealthState, number> = { up: 0, degraded: 1, down: 3, starting: 4 };

/** What brings the sim back to `up` without losing it: never `down`/`up` while any of it runs. */
function advice(state: SimHealthState, dead: readonly string[], upPid?: number): string[] {
  switch (state) {
    case 'degraded':
      return [...new Set(dead.map(restartTargetOf))].map((t) => `qnet sim restart ${t}`);
    case 'starting':
      return [`wait: qnet sim up (process ${upPid ?? '?'}) is building it`];
    case 'down':
      return ['qnet sim up'];
    case 'up':
      return [];
  }
}

async function status(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCli(argv, COMMON, false);
  if (values.help) return help(io);
  const sim = new Simulation(SimLayout.fromEnv(io.env, values['sim-dir']));
  const health = sim.health();
  const processes = sim.procs
    .names()
    .map((name) => ({ name, pid: sim.procs.pidOf(name) ?? null, alive: health.alive.includes(name) }));
  const namespaces = process.getuid?.() === 0 ? await sim.kernel.listNetns() : [];
  const todo = advice(health.state, health.dead, health.upPid);
  const ask = health.state !== 'down' && health.alive.includes('qnetd');
  const qnetd = ask ? await sim.qnet.run(['status', ...(values.json ? ['--json'] : [])]) : undefined;
  const exit = STATUS_EXIT[health.state];
  if (values.json) {
    let parsed: unknown = qnetd?.stdout;
    try {
      parsed = qnetd ? JSON.parse(qnetd.stdout) : null;
    } catch {
      /* keep the text */
    }
    writeLine(
      io.stdout,
      JSON.stringify({
        state: health.state,
        up: health.state === 'up' || health.state === 'degraded',
        dir: sim.layout.root,
        dead: health.dead,
        advice: todo,
        processes,
        namespaces,
        qnetd: parsed,
      }),
    );
    return exit;
  }
  const headline: Record<SimHealthState, string> = {
    up: 'simulation up',
    degraded: `simulation up, but degraded: ${health.dead.join(', ')} ${health.dead.length > 1 ? 'are' : 'is'} dead`,
    starting: 'simulation starting',
    down: 'simulation down',
  };
  writeLine(io.stdout, `${headline[health.state]} (${sim.layout.root})`);
  for (const p of processes) writeLine(io.stdout, `  ${p.alive ? 'running' : 'dead   '}  ${p.name} (${p.pid ?? '?'})`);
  if (namespaces.length) writeLine(io.stdout, `  namespaces: ${namespaces.join(' ')}`);
  if (health.state === 'degraded') {
    writeLine(io.stdout, 'bring it back, the rest of the sim untouched:');
    for (const line of todo) writeLine(io.stdout, `  ${line}`);
  } else if (health.state === 'down' && processes.length + namespaces.length > 0) {
    writeLine(io.stdout, 'leftovers of an earlier simulation: qnet sim up removes them first (or qnet sim down)');
  }
  if (qnetd) io.stdout.write(qnetd.stdout + qnetd.stderr);
  return exit;
}

const TARGET_HELP: Record<'restart' | 'kill', string> = {
  restart: `usage: qnet sim restart QUBE|qnetd|router|hotplug|upstream [--sim-dir DIR] [--json]

Stops that process as its service manager would (SIGTERM, SIGKILL after 5 s),
starts it again and returns once it serves; the rest of the simulation is
untouched. QUBE restarts the qube's qnet-agent (systemctl restart qnet-agent),
which converges its saved state and asks dom0 for its current documents.
qnetd keeps its embedded store; upstream is the two resolvers and the echo
services. A dead process is started.

Exit 0 done, 66 no such qube or process, 69 no simulation up,
70 it did not come back (the message has its log's last lines).`,
  kill: `usage: qnet sim kill QUBE|qnetd|router|hotplug|upstream [--sim-dir DIR] [--json]

SIGKILL to that process (QUBE: its qnet-agent): a crash, nobody is told, so
dom0 still takes the qube for running and its pushes fail until
qnet sim restart QUBE|qnetd brings it back.

Exit 0 killed, 66 no such qube or process, 69 no simulation up,
75 it was not running.`,
};

function targetCommand(verb: 'restart' | 'kill') {
  return async (argv: string[], io: CliIo): Promise<number> => {
    const { values, positionals } = parseCli(argv, COMMON);
    if (values.help) {
      writeLine(io.stdout, TARGET_HELP[verb]);
      return 0;
    }
    const [name, extra] = positionals;
    if (!name) throw new UsageError(`usage: qnet sim ${verb} QUBE|qnetd|router|hotplug|upstream`);
    if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`);
    checkPrerequisites();
    const sim = new Simulation(SimLayout.fromEnv(io.env, values['sim-dir']));
    const start = Date.now();
    const target: SimTarget = verb === 'restart' ? await sim.restart(name) : await sim.kill(name);
    const ms = Date.now() - start;
    const what = target.kind === 'agent' ? `the agent of ${target.qube}` : name;
    if (values.json) {
      writeLine(
        io.stdout,
        JSON.stringify({ [verb === 'restart' ? 'restarted' : 'killed']: name, processes: target.processes, ms }),
      );
    } else {
      writeLine(io.stdout, verb === 'restart' ? `restarted ${what} in ${ms} ms` : `killed ${what} (SIGKILL)`);
    }
    return 0;
  };
}

const EXEC_HELP = `usage: qnet sim exec QUBE [--sim-dir DIR] -- CMD [ARGS...]

Runs CMD inside QUBE's network namespace, as that qube: qnet, qnet-agent and
qrexec-client-vm on PATH, the qube's own resolv.conf as /etc/resolv.conf
(as it was when CMD started). QUBE may also be dom0 (the machine's namespace,
qnet pointed at the sim's qnetd) or upstream. CMD gets this terminal when
there is one (interactive shells, progress bars) and the caller's stdin,
stdout and stderr as they are.

Exit: CMD's own status (128+N when signal N killed it), 66 no such qube,
69 no simulation up, 127 CMD could not be started.`;

/** Signals that reach qnet but not CMD, forwarded. Ctrl-C from a terminal reaches both (one process group). */
function forwardSignals(child: ChildProcess, viaTerminal: boolean): () => void {
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const).map((sig) => {
    const handler = () => {
      if (!(viaTerminal && (sig === 'SIGINT' || sig === 'SIGQUIT'))) child.kill(sig);
    };
    process.on(sig, handler);
    return () => process.off(sig, handler);
  });
  return () => handlers.forEach((off) => off());
}

async function exec(argv: string[], io: CliIo): Promise<number> {
  const dash = argv.indexOf('--');
  const own = dash < 0 ? argv : argv.slice(0, dash);
  const { values, positionals } = parseCli(own, COMMON);
  if (values.help) {
    writeLine(io.stdout, EXEC_HELP);
    return 0;
  }
  const command = dash < 0 ? positionals.slice(1) : argv.slice(dash + 1);
  const qube = positionals[0];
  if (!qube || command.length === 0) throw new UsageError('usage: qnet sim exec QUBE -- CMD [ARGS...]');
  if (dash >= 0 && positionals.length > 1)
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`);
  checkPrerequisites();
  const sim = new Simulation(SimLayout.fromEnv(io.env, values['sim-dir']));
  const { file, args, env } = sim.execPlan(qube, command);
  // The real CLI hands CMD its own descriptors: a terminal stays a terminal, and nothing
  // of CMD's stdout is closed or buffered by us. Tests calling run() in-process get pipes.
  const ownStdio = io.stdin === process.stdin && io.stdout === process.stdout && io.stderr === process.stderr;
  return new Promise((resolve) => {
    const child = spawn(file, args, { env: { ...io.env, ...env }, stdio: ownStdio ? 'inherit' : 'pipe' });
    const release = forwardSignals(child, ownStdio && Boolean((process.stdin as { isTTY?: boolean }).isTTY));
    if (!ownStdio) {
      io.stdin.pipe(child.stdin!);
      child.stdout!.pipe(io.stdout, { end: false });
      child.stderr!.pipe(io.stderr, { end: false });
    }
    child.once('error', (err) => {
      release();
      writeLine(io.stderr, `qnet: UNAVAILABLE: cannot run ${JSON.stringify(file)}: ${err.message}`);
      resolve(127);
    });
    child.once('close', (code, signal) => {
      release();
      if (!ownStdio) io.stdin.unpipe(child.stdin!);
      resolve(code ?? 128 + (signal ? osConstants.signals[signal] : 0));
    });
  });
}

async function demo(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCli(argv, {
    ...COMMON,
    keep: { type: 'boolean' },
    topology: { type: 'string' },
  });
  if (values.help) return help(io);
  if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  checkPrerequisites();
  const signals = abortOnSignals();
  try {
    return await runDemo(io, {
      layout: SimLayout.fromEnv(io.env, values['sim-dir']),
      keep: Boolean(values.keep),
      json: Boolean(values.json),
      signal: signals.signal,
    });
  } finally {
    signals.release();
  }
}

function help(io: CliIo): number {
  writeLine(io.stdout, HELP);
  return 0;
}

const SUBCOMMANDS: Record<string, (argv: string[], io: CliIo) => Promise<number>> = {
  up,
  down,
  status,
  restart: targetCommand('restart'),
  kill: targetCommand('kill'),
  exec,
  demo,
};

export async function run(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    writeLine(io.stdout, HELP);
    return name ? 0 : 64;
  }
  const sub = SUBCOMMANDS[name];
  if (!sub) throw new UsageError(`unknown sim command ${JSON.stringify(name)}`);
  return sub(rest, io);
}

import { spawn } from 'node:child_process';
import { parseCli, UsageError, writeLine, type CliIo } from '../shared/cli/cli';
import { runDemo } from './demo/run-demo';
import { netnsOf, UPSTREAM_NETNS } from './planners/plan-sim';
import { SimLayout } from './sim-layout';
import { ADMIN_DIR, checkPrerequisites, Simulation } from './simulation';
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
  status                  what runs, and what qnetd reports
  exec QUBE -- CMD...     run CMD inside QUBE's namespace, as that qube, with
                          qnet, qnet-agent and qrexec-client-vm on PATH
                          (QUBE may be dom0 or upstream)
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

async function status(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCli(argv, COMMON, false);
  if (values.help) return help(io);
  const sim = new Simulation(SimLayout.fromEnv(io.env, values['sim-dir']));
  const processes = sim.procs
    .names()
    .map((name) => ({ name, pid: sim.procs.pidOf(name), alive: sim.procs.running(name) }));
  const namespaces = process.getuid?.() === 0 ? await sim.kernel.listNetns() : [];
  const up = sim.isUp();
  const qnetd = up ? await sim.qnet.run(['status', ...(values.json ? ['--json'] : [])]) : undefined;
  if (values.json) {
    let parsed: unknown = qnetd?.stdout;
    try {
      parsed = qnetd ? JSON.parse(qnetd.stdout) : undefined;
    } catch {
      /* keep the text */
    }
    writeLine(io.stdout, JSON.stringify({ up, dir: sim.layout.root, processes, namespaces, qnetd: parsed }));
    return up ? 0 : 3;
  }
  writeLine(io.stdout, `simulation ${up ? 'up' : 'down'} (${sim.layout.root})`);
  for (const p of processes) writeLine(io.stdout, `  ${p.alive ? 'running' : 'dead   '}  ${p.name} (${p.pid ?? '?'})`);
  if (namespaces.length) writeLine(io.stdout, `  namespaces: ${namespaces.join(' ')}`);
  if (qnetd) io.stdout.write(qnetd.stdout + qnetd.stderr);
  return up ? 0 : 3;
}

async function exec(argv: string[], io: CliIo): Promise<number> {
  const dash = argv.indexOf('--');
  const own = dash < 0 ? argv : argv.slice(0, dash);
  const { values, positionals } = parseCli(own, COMMON);
  if (values.help) return help(io);
  const command = dash < 0 ? positionals.slice(1) : argv.slice(dash + 1);
  const qube = positionals[0];
  if (!qube || command.length === 0) throw new UsageError('usage: qnet sim exec QUBE -- CMD [ARGS...]');
  checkPrerequisites();
  const sim = new Simulation(SimLayout.fromEnv(io.env, values['sim-dir']));
  const state = sim.requireUp();
  const known = [state.topology.adminVm, 'upstream', ...state.topology.qubes.map((q) => q.name)];
  if (!known.includes(qube)) throw new UsageError(`no qube ${JSON.stringify(qube)} (one of: ${known.join(', ')})`);
  // dom0 has no network: it runs in the machine's namespace, with the CLI pointed at the sim's qnetd.
  const [file, args, env] =
    qube === state.topology.adminVm
      ? [command[0], command.slice(1), { QNET_RUN_DIR: sim.layout.runDir(ADMIN_DIR), PATH: sim.pathWithWrappers() }]
      : [
          'ip',
          ['netns', 'exec', qube === 'upstream' ? UPSTREAM_NETNS : netnsOf(qube), ...command],
          qube === 'upstream' ? {} : sim.qubeEnv(qube),
        ];
  return new Promise((resolve) => {
    const child = spawn(file, args, { env: { ...io.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    io.stdin.pipe(child.stdin);
    child.stdout.pipe(io.stdout, { end: false });
    child.stderr.pipe(io.stderr, { end: false });
    child.once('error', (err) => {
      writeLine(io.stderr, `qnet sim exec: ${err.message}`);
      resolve(127);
    });
    child.once('close', (code) => {
      io.stdin.unpipe(child.stdin);
      resolve(code ?? 1);
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

const SUBCOMMANDS: Record<string, (argv: string[], io: CliIo) => Promise<number>> = { up, down, status, exec, demo };

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

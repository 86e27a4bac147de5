import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { rootSkipReason } from '../../../helpers/netns';
import { stopChild, tempDir, waitFor } from '../../../helpers/processes';
import { AGENT_MAIN, firewallDoc, ProviderAgent, providerDoc } from '../firewall/provider-agent';
import { INTERNET, ProviderLab } from '../firewall/provider-lab';

const PROVIDER_IP = '10.137.0.1';
const USER_PORT = 2222;
const HUNG_PORT = 2223;
const ALLOWED = 80;
const FORBIDDEN = 8080;
const DONE = 'firewall hooks done';

/**
 * Issue 13 point 4 with a real agent process in a provider namespace: the
 * user's qubes-firewall scripts run after the agent's tables exist, once per
 * start, and a failing or hanging one is logged and opens nothing. Judged by
 * connections from the client namespace to the provider (its input filter)
 * and through it (the client firewall), and by the kernel's own listing.
 */
describe('agent runs the qubes-firewall user scripts (root, real agent, real packets)', function () {
  this.timeout(60_000);
  let lab: ProviderLab | undefined;
  let dir: ReturnType<typeof tempDir> | undefined;
  let agent: ProviderAgent;
  let serve: ChildProcess | undefined;
  let log = '';
  let listener: ChildProcess | undefined;
  const root = () => join(dir!.path, 'root');
  const file = (path: string, body: string, mode = 0o755) => {
    mkdirSync(dirname(join(root(), path)), { recursive: true });
    writeFileSync(join(root(), path), body, { mode });
  };
  const marks = (name: string) => {
    const path = join(dir!.path, name);
    return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n') : [];
  };
  const startAgent = () => {
    log = '';
    const child = spawn('ip', ['netns', 'exec', lab!.provider.name, process.execPath, AGENT_MAIN, 'serve'], {
      env: { ...process.env, ...agent.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    serve = child;
    return child;
  };
  const hooksDone = (times = 1) =>
    waitFor(() => log.split(DONE).length > times || serve!.exitCode !== null, 20_000, 'the hooks to finish');
  const customInput = () => lab!.provider.exec('nft', ['list', 'chain', 'ip', 'qubes', 'custom-input']);

  before(function () {
    if (rootSkipReason(['ip', 'nft', 'conntrack'])) this.skip();
  });
  beforeEach(async () => {
    lab = new ProviderLab();
    dir = tempDir('fw-hooks');
    agent = new ProviderAgent(lab, dir.path, {
      QNET_HOOKS_ROOT: root(),
      QNET_HOOK_TIMEOUT_MS: '1000',
      QNET_LOG_LEVEL: 'debug',
    });
    agent.reboot();
    agent.save('qubes.NetConfig', providerDoc(3));
    agent.save('qubes.FirewallSync', firewallDoc(7, ALLOWED));
    await lab.listen([ALLOWED, FORBIDDEN]);
    // The provider's own services the user scripts may open: listening on its client-facing address.
    const script = `const net=require('net');let n=0;for (const p of [${USER_PORT},${HUNG_PORT}])
net.createServer(s=>s.end()).listen(p,'${PROVIDER_IP}',()=>{if(++n===2)console.log('ready')});`;
    listener = spawn('ip', ['netns', 'exec', lab.provider.name, process.execPath, '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => listener!.stdout!.on('data', (d: Buffer) => d.includes('ready') && resolve()));
    file('run/qubes-service/qubes-firewall', '', 0o644);
  });
  afterEach(async () => {
    if (serve) await stopChild(serve);
    serve = undefined;
    listener?.kill('SIGKILL');
    lab?.dispose();
    dir?.dispose();
  });

  it('a qubes-firewall-user-script rule is in force after the agent starts, and again after it restarts', async () => {
    const runs = join(dir!.path, 'runs');
    const seen = join(dir!.path, 'seen-forward');
    file(
      'rw/config/qubes-firewall-user-script',
      `#!/bin/sh\necho run >> "${runs}"\nnft list chain ip qubes-firewall forward > "${seen}"\n` +
        `nft add rule ip qubes custom-input tcp dport ${USER_PORT} accept\n`,
    );
    // The lab's provider without qnet's tables forwards and accepts anything: the baseline that proves nothing.
    startAgent();
    await hooksDone();
    assert.equal(lab!.probe(PROVIDER_IP, USER_PORT), 'open', log);
    assert.equal(lab!.probe(PROVIDER_IP, HUNG_PORT), 'refused', 'the input filter holds for what no script opened');
    // When the script ran, the client firewall was already in force: the drop policy and the client's verdict map.
    const forward = readFileSync(seen, 'utf8');
    assert.match(forward, /policy drop/);
    assert.match(forward, /ip saddr vmap @clients/);
    assert.deepEqual(marks('runs'), ['run']);

    await stopChild(serve!);
    // Whatever the first run left is gone; only a second run can open the port again.
    lab!.provider.exec('nft', ['flush', 'chain', 'ip', 'qubes', 'custom-input']);
    assert.equal(lab!.probe(PROVIDER_IP, USER_PORT), 'refused');
    startAgent();
    await hooksDone();
    assert.equal(lab!.probe(PROVIDER_IP, USER_PORT), 'open', log);
    assert.deepEqual(marks('runs'), ['run', 'run'], 'once per agent start');
  });

  it('a failing and a hanging script are logged with their path and status, open nothing, and stop nothing', async () => {
    file('etc/qubes/qubes-firewall.d/10-fails', '#!/bin/sh\necho "10-fails: refusing" >&2\nexit 3\n');
    // Killed at the 1 s timeout, before it would open HUNG_PORT.
    file(
      'rw/config/qubes-firewall.d/20-hangs',
      `#!/bin/sh\nsleep 4\nnft add rule ip qubes custom-input tcp dport ${HUNG_PORT} accept\n`,
    );
    file(
      'rw/config/qubes-firewall-user-script',
      `#!/bin/sh\nnft add rule ip qubes custom-input tcp dport ${USER_PORT} accept\n`,
    );
    const started = Date.now();
    startAgent();
    await hooksDone();
    assert.match(log, /firewall hook \S+\/etc\/qubes\/qubes-firewall\.d\/10-fails failed with exit status 3/);
    assert.match(log, /firewall hook \S+\/rw\/config\/qubes-firewall\.d\/20-hangs timed out after 1000 ms/);
    assert.match(log, /firewall hooks done ran=3 failed=2/);
    // The script after them still ran; the client firewall is untouched.
    assert.equal(lab!.probe(PROVIDER_IP, USER_PORT), 'open');
    assert.equal(lab!.probe(INTERNET, ALLOWED), 'open');
    assert.equal(lab!.probe(INTERNET, FORBIDDEN), 'refused');
    // Past the moment the hung script would have added its rule, had it survived the timeout.
    await new Promise((r) => setTimeout(r, Math.max(0, started + 6000 - Date.now())));
    assert.equal(lab!.probe(PROVIDER_IP, HUNG_PORT), 'refused');
    const rules = customInput()
      .split('\n')
      .filter((l) => l.includes('dport'));
    assert.deepEqual(
      rules.map((l) => l.trim()),
      [`tcp dport ${USER_PORT} accept`],
    );
  });

  it('a first start with no tables yet (nothing saved) waits for them, then runs the scripts once', async () => {
    const runs = join(dir!.path, 'runs');
    file(
      'rw/config/qubes-firewall-user-script',
      `#!/bin/sh\necho run >> "${runs}"\nnft add rule ip qubes custom-input tcp dport ${USER_PORT} accept\n`,
    );
    rmSync(join(agent.env.QNET_STATE_DIR as string, 'qubes.NetConfig.json'));
    startAgent();
    await waitFor(() => log.includes('firewall hooks wait for tables'), 20_000, 'the wait');
    assert.deepEqual(marks('runs'), []);
    // The boot-time init of the simulator's order (after the agent's start) brings the base ruleset.
    agent.save('qubes.NetConfig', providerDoc(3));
    const init = await agent.run(['init']);
    assert.match(init.stderr, /saved generation 3 applied/);
    await hooksDone();
    assert.equal(lab!.probe(PROVIDER_IP, USER_PORT), 'open', log);
    assert.deepEqual(marks('runs'), ['run']);
  });

  it('where the qubes-firewall service is off, no script runs', async () => {
    const runs = join(dir!.path, 'runs');
    file('rw/config/qubes-firewall-user-script', `#!/bin/sh\necho run >> "${runs}"\n`);
    // Turned off, as `qvm-service sys-firewall qubes-firewall off` would.
    rmSync(join(root(), 'run/qubes-service/qubes-firewall'));
    startAgent();
    await waitFor(() => log.includes('firewall hooks not run') || serve!.exitCode !== null, 20_000, 'the decision');
    assert.match(log, /the qubes-firewall service is off/);
    assert.deepEqual(marks('runs'), []);
  });
});

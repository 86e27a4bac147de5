import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NETNS_PREFIX } from '../../sim/planners/plan-sim';
import { runCollect } from '../../sim/qnet-cli';
import { simBinaries } from '../../sim/sim-binaries';
import { SimKernel } from '../../sim/sim-kernel';
import { simSkipReason } from './sim-fixture';

const bins = simBinaries();

/** What a simulation left behind: namespaces by prefix, processes by the sim dir on their command line. */
async function leftovers(dir: string): Promise<{ namespaces: string[]; pids: number[] }> {
  const namespaces = await new SimKernel().listNetns(NETNS_PREFIX);
  const pids = readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir);
      } catch {
        return false;
      }
    })
    .map(Number);
  return { namespaces, pids };
}

function simCli(dir: string, args: string[]) {
  return runCollect(bins.node, [bins.qnet, 'sim', ...args], { env: { QNET_SIM_DIR: dir }, timeoutMs: 120_000 });
}

describe('e2e: qnet sim lifecycle and cleanup', function () {
  this.timeout(120_000);
  let base: string;
  let dir: string;

  before(function () {
    const reason = simSkipReason();
    if (reason) this.skip();
  });
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'qnet-sim-life-'));
    dir = join(base, 'sim');
  });
  afterEach(async () => {
    await simCli(dir, ['down']);
    rmSync(base, { recursive: true, force: true });
  });

  it('up, status, exec, a crash, up again over the leftovers, down: nothing remains', async () => {
    const up = await simCli(dir, ['up', '--json']);
    assert.equal(up.status, 0, up.stderr);
    assert.ok(JSON.parse(up.stdout).upMs > 0);

    const status = await simCli(dir, ['status', '--json']);
    assert.equal(status.status, 0, status.stderr);
    assert.equal(JSON.parse(status.stdout).up, true);

    const exec = await simCli(dir, ['exec', 'work', '--', 'ip', '-j', '-4', 'addr', 'show', 'dev', 'eth0']);
    assert.equal(exec.status, 0, exec.stderr);
    assert.match(exec.stdout, /"local":"10\.137\.0\.4"/);

    const again = await simCli(dir, ['up']);
    assert.notEqual(again.status, 0, 'a second up over a running sim is refused');
    assert.match(again.stderr, /already up/);

    // A crash: every process dies at once, the namespaces and the sim dir stay.
    const crashed = await leftovers(dir);
    assert.ok(crashed.pids.length >= 8, `expected the sim's processes, found ${crashed.pids.length}`);
    for (const pid of crashed.pids) process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    assert.ok((await leftovers(dir)).namespaces.includes(`${NETNS_PREFIX}work`));

    const reup = await simCli(dir, ['up']);
    assert.equal(reup.status, 0, reup.stderr);
    assert.match(reup.stderr, /removed leftovers/);

    const down = await simCli(dir, ['down', '--json']);
    assert.equal(down.status, 0, down.stderr);
    assert.equal(JSON.parse(down.stdout).removedDir, true);
    assert.deepEqual(await leftovers(dir), { namespaces: [], pids: [] });
    assert.equal(existsSync(dir), false);
  });

  it('Ctrl-C during up tears down what was built', async () => {
    const child = spawn(bins.node, [bins.qnet, 'sim', 'up'], {
      env: { ...process.env, QNET_SIM_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const interrupted = new Promise<void>((resolve) => {
      child.once('close', () => resolve());
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        if (stderr.includes('boot sys-firewall')) {
          child.kill('SIGINT');
          resolve();
        }
      });
    });
    const exit = new Promise<number | null>((resolve) => child.once('close', resolve));
    await interrupted;
    const code = await exit;
    assert.notEqual(code, 0, stderr);
    assert.match(stderr, /tearing down/);
    assert.deepEqual(await leftovers(dir), { namespaces: [], pids: [] });
    assert.equal(existsSync(dir), false);
  });
});

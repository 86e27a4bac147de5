import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { netnsOf } from '../../sim/planners/plan-sim';
import { DNS_RECORDS } from '../../sim/planners/upstream-plan';
import { runCollect } from '../../sim/qnet-cli';
import { simBinaries } from '../../sim/sim-binaries';
import { useSimulation } from './sim-fixture';

const bins = simBinaries();
const hasScript = spawnSync('sh', ['-c', 'command -v script']).status === 0;

/** Issue 14 §5: `qnet sim exec` as a terminal in the qube, and the simulated qrexec-client-vm as the real one. */
describe('e2e: qnet sim exec and the simulated qrexec-client-vm', function () {
  this.timeout(120_000);
  const s = useSimulation();
  const simEnv = () => ({ QNET_SIM_DIR: s.sim.layout.root });
  const exec = (qube: string, command: string[], input?: string) =>
    runCollect(bins.node, [bins.qnet, 'sim', 'exec', qube, '--', ...command], { env: simEnv(), input });
  /** A shell in `work` whose stdout is a socket (Node's pipes are socketpairs), as a qrexec service's is. */
  const inWork = (script: string) =>
    runCollect('ip', ['netns', 'exec', netnsOf('work'), 'sh', '-c', script], { env: s.sim.qubeEnv('work') });

  describe('qnet sim exec', () => {
    it("shows the qube's own resolv.conf as /etc/resolv.conf, and the machine's stays as it was", async () => {
      const hostBefore = readFileSync('/etc/resolv.conf', 'utf8');
      const r = await exec('work', ['cat', '/etc/resolv.conf']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^nameserver 10\.139\.1\.1$/m);
      assert.match(r.stdout, /^nameserver 10\.139\.1\.2$/m);
      assert.equal(readFileSync('/etc/resolv.conf', 'utf8'), hostBefore);
      const mounts = spawnSync('findmnt', ['-n', '/etc/resolv.conf'], { encoding: 'utf8' });
      assert.doesNotMatch(mounts.stdout ?? '', /qnet-sim|qubes/, 'the bind mount never reaches the machine');
      const net = await exec('sys-net', ['cat', '/etc/resolv.conf']);
      assert.match(net.stdout, /written by qnet sim \(the uplink's DHCP\)/, "sys-net sees its uplink's servers");
    });

    it("a resolver call inside goes to the qube's DNS (10.139.1.1, through its netvm to the first upstream)", async () => {
      const r = await exec('work', ['getent', 'hosts', DNS_RECORDS.markerName]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(
        r.stdout,
        new RegExp(`^${DNS_RECORDS.marker[0].replaceAll('.', '\\.')}\\s+${DNS_RECORDS.markerName}`),
      );
    });

    it('gives the command a terminal when stdin is one, and none when it is not', async function () {
      if (!hasScript) this.skip();
      const cmd = `${bins.node} ${bins.qnet} sim exec work -- sh -c 'test -t 0 && test -t 1 && echo TTY-OK; tty'`;
      const r = await runCollect('script', ['-qec', cmd, '/dev/null'], { env: simEnv() });
      assert.equal(r.status, 0, r.stderr + r.stdout);
      assert.match(r.stdout, /TTY-OK/);
      assert.match(r.stdout, /\/dev\/pts\/\d+/);
      const piped = await exec('work', ['sh', '-c', 'test -t 0 || echo NO-TTY']);
      assert.match(piped.stdout, /NO-TTY/);
    });

    it("passes stdin through and exits with the command's status (128+N for a signal)", async () => {
      const cat = await exec('work', ['cat'], 'hello from stdin\n');
      assert.equal(cat.stdout, 'hello from stdin\n');
      assert.equal((await exec('work', ['sh', '-c', 'exit 7'])).status, 7);
      assert.equal((await exec('work', ['sh', '-c', 'kill -TERM $$'])).status, 128 + 15);
    });

    it('errors: unknown qube 66 NOT_FOUND, no command 64 USAGE, each one line', async () => {
      const r = await exec('nosuch', ['true']);
      assert.equal(r.status, 66);
      assert.match(r.stderr, /^qnet: NOT_FOUND: no qube "nosuch" in the simulation \(one of: dom0, upstream, .*work/);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1);
      const u = await runCollect(bins.node, [bins.qnet, 'sim', 'exec', 'work'], { env: simEnv() });
      assert.equal(u.status, 64);
      assert.match(u.stderr, /^qnet: USAGE: usage: qnet sim exec QUBE -- CMD/);
    });
  });

  describe('qrexec-client-vm', () => {
    it('never shuts down a stdout it shares with the calling shell: the next command still writes', async () => {
      // The old shim ended process.stdout, which shut the shared socket down: `echo after` died of SIGPIPE.
      const allowed = await inWork('qrexec-client-vm dom0 qubes.NetConfig </dev/null; echo "after $?"');
      assert.equal(allowed.status, 0, allowed.stderr);
      assert.match(allowed.stdout, /after 0\n$/);
      assert.ok(allowed.bytes.length > 'after 0\n'.length, 'the reply came first');
      const refused = await inWork('qrexec-client-vm sys-net qubes.NetConfig </dev/null; echo "after $?"');
      assert.equal(refused.status, 0, refused.stderr);
      assert.equal(refused.stdout, 'after 126\n');
      const grouped = await inWork(
        '{ qrexec-client-vm dom0 qubes.NetConfig </dev/null >/dev/null; echo after; } | cat',
      );
      assert.equal(grouped.stdout, 'after\n');
    });

    it('a refusal prints "Request refused" on stderr and exits 126, and LOCAL_PROGRAM never starts', async () => {
      const r = await inWork('qrexec-client-vm sys-net qubes.NetConfig /bin/sh -c "echo STARTED >&2"');
      assert.equal(r.status, 126);
      assert.equal(r.stderr, 'Request refused\n');
    });

    it("LOCAL_PROGRAM: joined to the service, the caller's stdout as SAVED_FD_1, its exit status is ours", async () => {
      const r = await inWork(
        'qrexec-client-vm dom0 qubes.NetConfig /bin/sh -c \'exec >&-; n=$(wc -c); echo "reply $n bytes" >&$SAVED_FD_1; exit 3\'',
      );
      assert.equal(r.status, 3, r.stderr);
      assert.match(r.stdout, /^reply [1-9]\d* bytes\n$/);
      const missing = await inWork('qrexec-client-vm dom0 qubes.NetConfig /no/such/program');
      assert.equal(missing.status, 255);
      assert.equal(missing.stderr, 'execv: No such file or directory\n');
    });

    it("upstream's command line: options before TARGET, $keywords, usage 2, a bad --buffer-size 1", async () => {
      const opts = await inWork(
        'qrexec-client-vm --buffer-size=0x10000 -p "" --no-filter-escape-chars-stdout dom0 qubes.NetConfig </dev/null | wc -c',
      );
      assert.equal(opts.status, 0, opts.stderr);
      assert.ok(Number(opts.stdout.trim()) > 0);
      const usage = await inWork('qrexec-client-vm dom0');
      assert.equal(usage.status, 2);
      assert.match(usage.stderr, /^usage: qrexec-client-vm \[options\] target_vmname program_ident/);
      const junk = await inWork('qrexec-client-vm --buffer-size=12k dom0 qubes.NetConfig');
      assert.equal(junk.status, 1);
      assert.equal(junk.stderr, 'Bad buffer size: trailing junk\n');
      const unknown = await inWork('qrexec-client-vm --bogus dom0 qubes.NetConfig');
      assert.equal(unknown.status, 2);
      assert.match(unknown.stderr, /^qrexec-client-vm: unrecognized option '--bogus'\n/);
      const help = await inWork('qrexec-client-vm --help');
      assert.equal(help.status, 0);
      assert.match(help.stdout, /^usage: qrexec-client-vm/);
      // `$default` is upstream's old spelling of @default: the policy decides, here it refuses.
      const keyword = await inWork("qrexec-client-vm '$default' qubes.NetConfig </dev/null");
      assert.equal(keyword.status, 126);
    });
  });
});

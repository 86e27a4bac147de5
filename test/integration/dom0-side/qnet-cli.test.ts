import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/processes';
import { QnetdKit, runQnet } from './qnetd-kit';

const RULE_FAILURE = {
  client: 'work',
  rule: 1,
  message: 'dsthost "nowhere.example" did not resolve: rule matches nothing',
};

describe('dom0-side qnet CLI against a real qnetd', function () {
  let kit: QnetdKit;
  const qnet = (args: string[], stdin = '') => runQnet(kit, args, stdin);
  const json = async <T>(args: string[], stdin = ''): Promise<T> => {
    const r = await qnet([...args, '--json'], stdin);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as T;
  };

  const scratch = tempDir('qnet-cli');
  /** Qubes whose agent is unreachable, read by the recording qnetd at every push. */
  const downFile = join(scratch.path, 'down');
  const setDown = (...qubes: string[]) => writeFileSync(downFile, qubes.join('\n'));
  after(() => scratch.dispose());

  beforeEach(async () => {
    setDown();
    kit = new QnetdKit({
      env: {
        QNET_TEST_FAIL_QUBES: 'broken',
        QNET_TEST_FAIL_FILE: downFile,
        QNET_TEST_RULE_FAILURES: JSON.stringify([RULE_FAILURE]),
      },
    });
    await kit.start();
    for (const args of [
      ['create', 'sys-net', '--provides-network'],
      ['create', 'sys-firewall', '--provides-network', '--netvm', 'sys-net'],
      ['create', 'work', '--netvm', 'sys-firewall'],
      ['create', 'broken', '--netvm', 'sys-firewall', '--qid', '40'],
    ]) {
      const r = await qnet(args);
      assert.equal(r.code, 0, r.stderr);
    }
  });
  afterEach(async () => kit.dispose());

  it('creates, lists and shows prefs; --json prints the documented keys', async () => {
    const ls = await qnet(['ls']);
    assert.match(ls.stdout, /^NAME +STATE +CLASS +LABEL +TEMPLATE +NETVM\n/);
    assert.match(ls.stdout, /\nwork +Halted +AppVM +- +- +sys-firewall\n/);
    const prefs = await json<Record<string, unknown>>(['prefs', 'work']);
    for (const key of [
      'netvm',
      'provides_network',
      'ip',
      'ip6',
      'visible_ip',
      'visible_ip6',
      'gateway',
      'gateway6',
      'visible_gateway',
      'visible_gateway6',
      'visible_netmask',
      'netmask',
      'dns',
      'mac',
      'defaults',
    ]) {
      assert.ok(key in prefs, key);
    }
    assert.deepEqual(prefs.dns, ['10.139.1.1', '10.139.1.2']);
    // qubesd's meanings: a qube's own gateway is visible_gateway; gateway is what a provider offers.
    assert.equal((await qnet(['prefs', 'work', 'visible_gateway'])).stdout, '10.137.0.2\n');
    assert.equal((await qnet(['prefs', 'work', 'gateway'])).stdout, '\n');
    assert.equal((await qnet(['prefs', 'sys-firewall', 'gateway'])).stdout, '10.137.0.2\n');
    assert.equal((await qnet(['prefs', 'work', 'provides_network'])).stdout, 'False\n');
    assert.equal((await qnet(['prefs', 'work', 'netvm', 'sys-net'])).code, 0);
    assert.equal((await qnet(['prefs', 'work', 'netvm'])).stdout, 'sys-net\n');
    assert.equal((await qnet(['prefs', 'work', 'netvm', 'none'])).code, 0);
    assert.equal(await json(['prefs', 'work', 'netvm']), null);
    assert.match((await qnet(['prefs', 'work'])).stdout, /^netvm +- *$/m);
    // -D resets (here to the embedded store's default_netvm, None), which qvm-prefs then shows with D.
    assert.equal((await qnet(['prefs', 'work', '-D', 'netvm'])).code, 0);
    assert.match((await qnet(['prefs', 'work'])).stdout, /^netvm +D *$/m);
    assert.equal((await qnet(['prefs', 'work', '-D', 'label'])).code, 65);
    assert.equal((await json<{ qid: number }>(['prefs', 'broken'])).qid, 40);
  });

  it('sets, shows and deletes features', async () => {
    assert.equal((await qnet(['features', 'sys-net', 'ipv6', '1'])).code, 0);
    assert.equal((await qnet(['features', 'sys-net', 'ipv6'])).stdout, '1\n');
    assert.deepEqual(await json(['features', 'sys-net']), { ipv6: '1' });
    assert.equal((await json<{ ip6: string }>(['prefs', 'work'])).ip6, 'fd09:24ef:4179::a89:3');
    assert.equal((await qnet(['features', 'sys-net', '--delete', 'ipv6'])).code, 0);
    const missing = await qnet(['features', 'sys-net', 'ipv6']);
    assert.equal(missing.code, 66);
    assert.equal(missing.stderr, 'qnet: NOT_FOUND: feature "ipv6" is not set on "sys-net"\n');
  });

  it('edits a firewall: add, list, del, set from stdin, reset', async () => {
    assert.equal(
      (await qnet(['firewall', 'work', 'add', 'accept', 'proto=tcp', 'dsthost=example.org', 'dstports=443'])).code,
      0,
    );
    assert.deepEqual(await json(['firewall', 'work', 'list']), [
      'action=accept',
      'action=accept dsthost=example.org proto=tcp dstports=443-443',
    ]);
    assert.equal((await qnet(['firewall', 'work', 'del', '0'])).code, 0);
    assert.match(
      (await qnet(['firewall', 'work'])).stdout,
      /^NO +ACTION +HOST +PROTOCOL +PORT\(S\) +SPECIAL TARGET +ICMP TYPE +EXPIRE +COMMENT\n0 +accept +example\.org +tcp +443 +- +- +- +-\n$/,
    );
    const set = await qnet(['firewall', 'work', 'set'], '# mine\naccept proto=udp specialtarget=dns\naction=drop\n');
    assert.equal(set.code, 0, set.stderr);
    assert.deepEqual(await json(['firewall', 'work', 'list']), [
      'action=accept proto=udp specialtarget=dns',
      'action=drop',
    ]);
    const bad = await qnet(['firewall', 'work', 'set'], 'accept\naction=maybe\n');
    assert.equal(bad.code, 65);
    assert.match(bad.stderr, /^qnet: BAD_REQUEST: line 2: /);
    assert.equal((await qnet(['firewall', 'work', 'reset'])).code, 0);
    assert.equal((await json<{ firewall: unknown }>(['prefs', 'work'])).firewall, null);
  });

  it('waits for pushes and prints a result table; a failed push exits non-zero and shows in status', async () => {
    const start = await qnet(['start', 'sys-net']);
    assert.equal(start.code, 0, start.stderr);
    assert.match(start.stdout, /^QUBE +SERVICE +GENERATION +RESULT/);
    assert.match(start.stdout, /\nsys-net +qubes\.NetConfig +\d+ +done/);
    const fw = await json<{ complete: boolean; results: { qube: string; outcome: string }[] }>([
      'start',
      'sys-firewall',
    ]);
    assert.equal(fw.complete, true);
    assert.deepEqual(
      [...new Set(fw.results.map((r) => `${r.qube} ${r.outcome}`))],
      ['sys-net done', 'sys-firewall done'],
    );
    const broken = await qnet(['start', 'broken']);
    assert.equal(broken.code, 70);
    assert.match(broken.stdout, /\nbroken +qubes\.NetConfig +\d+ +failed +UNAVAILABLE: .*simulated unreachable agent/);
    assert.match(broken.stderr, /^qnet: APPLY_FAILED: 1 of \d+ pushes failed\n$/);
    // Not converged: qnetd keeps retrying, and `qnet status` exits 75 (EX_TEMPFAIL) for monitoring.
    const statusRun = await qnet(['status', '--json']);
    assert.equal(statusRun.code, 75, statusRun.stderr);
    const status = JSON.parse(statusRun.stdout) as { qube: string; state: string; reason?: string }[];
    const row = status.find((r) => r.qube === 'broken')!;
    assert.equal(row.state, 'retrying');
    assert.match(
      row.reason!,
      /^retrying \(attempt \d+, next in \d+s\): generation \d+: UNAVAILABLE: .*simulated unreachable agent/,
    );
    assert.ok(status.filter((r) => r.qube === 'sys-firewall').every((r) => r.state === 'ok'));
    const text = await qnet(['status']);
    assert.equal(text.code, 75);
    assert.match(text.stdout, /\nbroken +qubes\.NetConfig +running +\d+ +- +retrying +retrying \(attempt \d+, next in/);
    assert.equal((await qnet(['status', 'sys-net'])).code, 0, 'only the named qubes count');
    const again = await json<{ results: { qube: string; service: string }[] }>(['push', 'sys-net']);
    assert.deepEqual(
      again.results.map((r) => `${r.qube} ${r.service}`),
      ['sys-net qubes.NetConfig', 'sys-net qubes.FirewallSync'],
    );
    const nowait = await json<{ pushes: unknown[] }>(['shutdown', 'broken', '--no-wait']);
    assert.ok(Array.isArray(nowait.pushes));
  });

  it('qnet push waits for its own re-push and exits non-zero when the agent is unreachable; then converges unaided', async () => {
    for (const q of ['sys-net', 'sys-firewall', 'work']) assert.equal((await qnet(['start', q])).code, 0);
    const first = await qnet(['status']);
    assert.equal(first.code, 0, first.stdout);
    // work holds its current generation; its agent goes away; a re-push sends that same generation.
    setDown('work');
    const push = await qnet(['push', 'work']);
    assert.equal(push.code, 70, push.stdout);
    assert.match(
      push.stdout,
      /\nwork +qubes\.NetConfig +\d+ +failed +UNAVAILABLE: .*simulated unreachable agent \(after \d+ attempt/,
    );
    assert.equal(push.stderr, 'qnet: APPLY_FAILED: 1 of 1 pushes failed\n');
    const json = await qnet(['push', 'work', '--json']);
    assert.equal(json.code, 70);
    const [result] = (JSON.parse(json.stdout) as { results: { outcome: string; push: number }[] }).results;
    assert.equal(result.outcome, 'failed');
    assert.equal((await qnet(['status', 'work'])).code, 75);
    // The agent comes back; nobody types `qnet push`: qnetd's retries converge it.
    setDown();
    const deadline = Date.now() + 10_000;
    while ((await qnet(['status'])).code !== 0) {
      assert.ok(Date.now() < deadline, 'status converged without a push');
      await new Promise((r) => setTimeout(r, 100));
    }
    const ok = await qnet(['push', 'work']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /\nwork +qubes\.NetConfig +\d+ +done/);
  });

  it('lists a rule the provider could not install under the push table and in status', async () => {
    for (const q of ['sys-net', 'sys-firewall', 'work']) assert.equal((await qnet(['start', q])).code, 0);
    const add = await qnet([
      'firewall',
      'work',
      'add',
      'accept',
      'proto=tcp',
      'dsthost=nowhere.example',
      'dstports=443',
    ]);
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, /\nsys-firewall +qubes\.FirewallSync +\d+ +done +1 firewall rule\(s\) not installed\n/);
    const line =
      'sys-firewall: rule not installed: client work rule 1 (action=accept dsthost=nowhere.example proto=tcp ' +
      'dstports=443-443): dsthost "nowhere.example" did not resolve: rule matches nothing';
    assert.ok(add.stdout.includes(`${line}\n`), add.stdout);
    const status = await qnet(['status']);
    assert.equal(status.code, 0, 'the document is in force; the rule fails closed');
    assert.ok(status.stdout.includes(`${line}\n`), status.stdout);
    const rows = await json<{ qube: string; service: string; ruleFailures?: unknown[] }[]>(['status']);
    const fw = rows.find((r) => r.qube === 'sys-firewall' && r.service === 'qubes.FirewallSync')!;
    assert.deepEqual(fw.ruleFailures, [
      { ...RULE_FAILURE, text: 'action=accept dsthost=nowhere.example proto=tcp dstports=443-443' },
    ]);
  });

  it('answers --help everywhere and reports errors as one line with a meaningful exit code', async () => {
    for (const cmd of ['create', 'remove', 'start', 'shutdown', 'ls', 'prefs', 'features', 'status', 'push']) {
      const r = await qnet([cmd, '--help']);
      assert.equal(r.code, 0, cmd);
      assert.match(r.stdout, new RegExp(`^usage: qnet ${cmd}`), cmd);
    }
    assert.match((await qnet(['firewall', 'work', '--help'])).stdout, /^usage: qnet firewall QUBE/);
    const missing = await qnet(['prefs', 'ghost']);
    assert.deepEqual([missing.code, missing.stderr], [66, 'qnet: NOT_FOUND: no such qube "ghost"\n']);
    const loop = await qnet(['prefs', 'sys-net', 'netvm', 'work']);
    assert.equal(loop.code, 65);
    assert.match(loop.stderr, /^qnet: BAD_REQUEST: .*does not provide network\n$/);
    const dup = await qnet(['create', 'work']);
    assert.deepEqual([dup.code, dup.stderr], [75, 'qnet: CONFLICT: qube "work" already exists\n']);
    const usage = await qnet(['create']);
    assert.equal(usage.code, 64);
    assert.match(usage.stderr, /^qnet: USAGE: expected NAME/);
    const down = await runQnet(kit, ['ls'], '', { QNET_RUN_DIR: kit.dir.path });
    assert.equal(down.code, 69);
    assert.match(down.stderr, /^qnet: UNAVAILABLE: qnetd is not running/);
  });
});

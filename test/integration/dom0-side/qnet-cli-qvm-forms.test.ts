import assert from 'node:assert/strict';
import { QnetdKit, runQnet } from './qnetd-kit';

/** Every qvm-* form qnet takes (issue 14 §3), each against a real qnetd. */
describe('dom0-side qnet CLI: qvm-* forms against a real qnetd', function () {
  let kit: QnetdKit;
  const qnet = (args: string[], stdin = '', env: NodeJS.ProcessEnv = {}) => runQnet(kit, args, stdin, env);
  const ok = async (args: string[], stdin = '') => {
    const r = await qnet(args, stdin);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  beforeEach(async () => {
    kit = new QnetdKit();
    await kit.start();
    await ok(['create', 'sys-net', '--provides-network']);
    await ok(['create', 'sys-firewall', '--provides-network', '--netvm', 'sys-net']);
    await ok(['create', 'work', '--netvm', 'sys-firewall', '--label', 'blue']);
  });
  afterEach(async () => kit.dispose());

  describe('firewall (qvm-firewall)', () => {
    it("lists qvm-firewall's table, --raw, and hides expired rules", async () => {
      const set =
        'action=accept dsthost=example.org proto=tcp dstports=443-445 comment=web\n' +
        'action=drop dst4=192.0.2.0/24 proto=icmp icmptype=8\n' +
        'action=accept specialtarget=dns\n' +
        'action=accept dst4=198.51.100.7 expire=1000\n' +
        `action=accept dst6=2001:db8::/32 expire=${Math.floor(Date.now() / 1000) + 300}\n`;
      await ok(['firewall', 'work', 'set', '--no-wait'], set);
      const table = (await ok(['firewall', 'work', 'list'])).split('\n');
      assert.match(table[0], /^NO +ACTION +HOST +PROTOCOL +PORT\(S\) +SPECIAL TARGET +ICMP TYPE +EXPIRE +COMMENT$/);
      assert.match(table[1], /^0 +accept +example\.org +tcp +443-445 +- +- +- +web$/);
      assert.match(table[2], /^1 +drop +192\.0\.2\.0\/24 +icmp +- +- +8 +- +-$/);
      assert.match(table[3], /^2 +accept +- +- +- +dns +- +- +-$/);
      // The rule that expired in 1970 is gone; the live one shows the time left as qubesadmin does.
      assert.match(table[4], /^3 +accept +2001:db8::\/32 +- +- +- +- +\+(299|300)s +-$/);
      assert.equal(table.length, 6);
      const raw = await ok(['firewall', 'work', 'list', '--raw']);
      assert.equal(raw.split('\n').length, 5);
      assert.match(raw, /^action=accept dsthost=example\.org proto=tcp dstports=443-445 comment=web\n/);
      assert.doesNotMatch(raw, /198\.51\.100\.7/);
    });

    it('add --before N inserts, del --rule-no N removes, by the numbers list shows', async () => {
      await ok(['firewall', 'work', 'set', '--no-wait'], 'action=accept proto=tcp\naction=drop\n');
      await ok(['firewall', 'work', 'add', '--before', '1', 'accept', 'proto=udp', '--no-wait']);
      assert.equal(
        await ok(['firewall', 'work', '--raw']),
        'action=accept proto=tcp\naction=accept proto=udp\naction=drop\n',
      );
      await ok(['firewall', 'work', 'add', '--before', '0', 'drop', 'dsthost=192.0.2.1', '--no-wait']);
      await ok(['firewall', 'work', 'del', '--rule-no', '2', '--no-wait']);
      assert.equal(
        await ok(['firewall', 'work', '--raw']),
        'action=drop dst4=192.0.2.1/32\naction=accept proto=tcp\naction=drop\n',
      );
      const past = await qnet(['firewall', 'work', 'add', '--before', '9', 'accept']);
      assert.deepEqual([past.code, past.stderr], [65, 'qnet: BAD_REQUEST: no rule 9 to add before: there are 3\n']);
      const gone = await qnet(['firewall', 'work', 'del', '--rule-no', '3']);
      assert.deepEqual([gone.code, gone.stderr], [66, 'qnet: NOT_FOUND: no rule 3: there are 3\n']);
    });

    it('a qube named parse is a qube; the parser is firewall-parse or firewall --parse', async () => {
      await ok(['create', 'parse', '--netvm', 'sys-firewall']);
      await ok(['firewall', 'parse', 'add', 'drop', '--no-wait']);
      assert.equal(await ok(['firewall', 'parse', '--raw']), 'action=accept\naction=drop\n');
      const line = '{"input":"accept proto=tcp","ok":true,"api":"action=accept proto=tcp"}\n';
      assert.equal(await ok(['firewall-parse', '--cli'], 'accept proto=tcp\n'), line);
      assert.equal(await ok(['firewall', '--parse', '--cli'], 'accept proto=tcp\n'), line);
    });
  });

  describe('features (qvm-features)', () => {
    it('deletes with -D, --unset, --default or --delete, before or after the names', async () => {
      for (const form of [
        ['features', 'sys-net', 'ipv6', '-D'],
        ['features', '-D', 'sys-net', 'ipv6'],
        ['features', 'sys-net', '--unset', 'ipv6'],
        ['features', 'sys-net', 'ipv6', '--default'],
        ['features', 'sys-net', 'ipv6', '--delete'],
      ]) {
        await ok(['features', 'sys-net', 'ipv6', '1', '--no-wait']);
        assert.equal(await ok(['features', 'sys-net', 'ipv6']), '1\n');
        await ok([...form, '--no-wait']);
        const gone = await qnet(['features', 'sys-net', 'ipv6']);
        assert.equal(gone.code, 66, form.join(' '));
      }
      const noName = await qnet(['features', 'sys-net', '-D']);
      assert.deepEqual(
        [noName.code, noName.stderr],
        [64, 'qnet: USAGE: expected QUBE FEATURE with -D, got 1 argument(s) (try --help)\n'],
      );
    });
  });

  describe('ls (qvm-ls)', () => {
    it("shows qvm-ls' default columns with dom0, filters by name and state, -n, --raw-list, --raw-data", async () => {
      await ok(['start', 'sys-net', '--no-wait']);
      assert.equal(
        await ok(['ls']),
        [
          'NAME          STATE    CLASS    LABEL  TEMPLATE  NETVM',
          'dom0          Running  AdminVM  black  -         -',
          'sys-firewall  Halted   AppVM    -      -         sys-net',
          'sys-net       Running  AppVM    -      -         -',
          'work          Halted   AppVM    blue   -         sys-firewall',
          '',
        ].join('\n'),
      );
      assert.equal(await ok(['ls', '--raw-list']), 'dom0\nsys-firewall\nsys-net\nwork\n');
      assert.equal(await ok(['ls', '--raw-list', '--running']), 'dom0\nsys-net\n');
      assert.equal(await ok(['ls', '--raw-list', '--halted']), 'sys-firewall\nwork\n');
      assert.equal(await ok(['ls', '--raw-list', 'work', 'dom0']), 'dom0\nwork\n');
      assert.equal(
        await ok(['ls', '-n', 'work', 'sys-net']),
        [
          'NAME     STATE    NETVM         IP          IPBACK  GATEWAY',
          'sys-net  Running  -             10.137.0.1  -       -',
          'work     Halted   sys-firewall  10.137.0.3  -       10.137.0.2',
          '',
        ].join('\n'),
      );
      assert.equal(
        await ok(['ls', '--network', '--raw-data', 'work']),
        'work|Halted|sys-firewall|10.137.0.3|-|10.137.0.2\n',
      );
      const ghost = await qnet(['ls', 'ghost']);
      assert.deepEqual([ghost.code, ghost.stderr], [66, 'qnet: NOT_FOUND: no such qube "ghost"\n']);
    });
  });

  describe('prefs (qvm-prefs)', () => {
    it('--hide-default, --help-properties, None in any case, - for _', async () => {
      await ok(['prefs', 'work', 'provides-network', 'True', '--no-wait']);
      assert.equal(await ok(['prefs', 'work', 'provides-network']), 'True\n');
      assert.equal(await ok(['prefs', 'work', 'provides_network']), 'True\n');
      const shown = await ok(['prefs', 'work', '--hide-default']);
      assert.match(shown, /^provides_network +- +True$/m);
      assert.match(shown, /^netvm +- +sys-firewall$/m);
      assert.doesNotMatch(shown, /^\S+ +D /m);
      assert.match(await ok(['prefs', 'work']), /^mac +D /m);
      await ok(['prefs', 'work', 'netvm', 'None', '--no-wait']);
      assert.equal(await ok(['prefs', 'work', 'netvm']), '\n');
      await ok(['prefs', 'work', 'netvm', 'sys-net', '--no-wait']);
      await ok(['prefs', 'work', 'netvm', 'NONE', '--no-wait']);
      assert.equal(await ok(['prefs', 'work', 'netvm']), '\n');
      const help = await ok(['prefs', '--help-properties']);
      assert.match(help, /^netvm +the qube providing network/m);
      assert.match(help, /^visible_gateway +/m);
      const ro = await qnet(['prefs', 'work', 'visible-ip', '10.0.0.1']);
      assert.deepEqual(
        [ro.code, ro.stderr],
        [
          64,
          'qnet: USAGE: property "visible_ip" cannot be set (settable: netvm, provides_network, ip, ip6) (try --help)\n',
        ],
      );
    });
  });

  describe('create, start, shutdown (qvm-create, qvm-start, qvm-shutdown)', () => {
    it('create takes --label and --property/--prop, checked before the qube exists', async () => {
      await ok([
        'create',
        'vpn',
        '-l',
        'green',
        '--property',
        'netvm=sys-net',
        '--prop',
        'provides-network=True',
        '--property',
        'ip=10.137.0.50',
      ]);
      assert.equal(await ok(['prefs', 'vpn', 'netvm']), 'sys-net\n');
      assert.equal(await ok(['prefs', 'vpn', 'provides_network']), 'True\n');
      assert.equal(await ok(['prefs', 'vpn', 'ip']), '10.137.0.50\n');
      // The label is kept: qvm-prefs shows it, as qvm-ls does.
      assert.equal(await ok(['prefs', 'vpn', 'label']), 'green\n');
      assert.match(await ok(['prefs', 'vpn']), /^label +- +green$/m);
      assert.match(await ok(['ls', 'vpn']), /^vpn +Halted +AppVM +green /m);
      // qvm-create's -P and -p/--pool are storage pools, not properties: refused, nothing created.
      for (const [args, flag] of [
        [['-P', 'varlibqubes'], '-P'],
        [['--pool', 'root=lvm'], '-p/--pool'],
        [['-p', 'root=lvm'], '-p/--pool'],
      ] as const) {
        const pool = await qnet(['create', 'x0', ...args]);
        assert.deepEqual(
          [pool.code, pool.stderr],
          [
            64,
            `qnet: USAGE: ${flag} chooses qvm-create's storage pool; qnet keeps no storage (properties: --property NAME=VALUE) (try --help)\n`,
          ],
        );
      }
      const label = await qnet(['create', 'x1', '--label', 'pink']);
      assert.deepEqual(
        [label.code, label.stderr],
        [
          64,
          'qnet: USAGE: --label must be one of red, orange, yellow, green, gray, blue, purple, black (try --help)\n',
        ],
      );
      const prop = await qnet(['create', 'x2', '--property', 'memory=400']);
      assert.equal(prop.code, 64);
      assert.match(prop.stderr, /^qnet: USAGE: property "memory" cannot be set/);
      const form = await qnet(['create', 'x3', '--property', 'netvm']);
      assert.deepEqual(
        [form.code, form.stderr],
        [64, 'qnet: USAGE: --property takes NAME=VALUE, got "netvm" (try --help)\n'],
      );
      assert.equal(await ok(['ls', '--raw-list']), 'dom0\nsys-firewall\nsys-net\nvpn\nwork\n', 'nothing half-created');
    });

    it('start and shutdown take several qubes and --all (netvms first up, last down), --exclude, --wait', async () => {
      await ok(['start', 'sys-net', 'sys-firewall', '--wait']);
      assert.equal(await ok(['ls', '--raw-list', '--running']), 'dom0\nsys-firewall\nsys-net\n');
      await ok(['start', '--all']);
      assert.equal(await ok(['ls', '--raw-list', '--halted']), '');
      await ok(['shutdown', '--all', '--exclude', 'sys-net', '--no-wait']);
      assert.equal(await ok(['ls', '--raw-list', '--running']), 'dom0\nsys-net\n');
      await ok(['shutdown', 'sys-net']);
      // --all starts providers before clients: each qube's pushes name its netvm already running.
      await ok(['start', '--all', '--json']);
      const typo = await qnet(['shutdown', 'work', 'ghost']);
      assert.deepEqual([typo.code, typo.stderr], [66, 'qnet: NOT_FOUND: no such qube "ghost"\n']);
      assert.match(await ok(['ls', '--raw-list', '--running']), /work/, 'a typo changes nothing');
      for (const [args, message] of [
        [['start'], 'expected NAME... or --all'],
        [['start', '--all', 'work'], 'give NAME... or --all, not both'],
        [['shutdown', 'work', '--exclude', 'work'], '--exclude goes with --all'],
        [['shutdown', 'work', '--wait', '--no-wait'], '--wait and --no-wait contradict each other'],
        [['shutdown', 'work', '--timeout', 'soon'], '--timeout takes seconds, got "soon"'],
      ] as const) {
        const r = await qnet([...args]);
        assert.deepEqual([r.code, r.stderr], [64, `qnet: USAGE: ${message} (try --help)\n`], args.join(' '));
      }
      assert.match(await ok(['ls', '--raw-list', '--running']), /work/, 'a bad flag changes nothing');
    });
  });

  describe('errors, exit codes, --help, --version', () => {
    it('answers --help for every command and --version', async () => {
      for (const cmd of [
        'create',
        'remove',
        'start',
        'shutdown',
        'ls',
        'prefs',
        'features',
        'status',
        'push',
        'firewall-parse',
      ]) {
        const r = await qnet([cmd, '--help']);
        assert.equal(r.code, 0, cmd);
        assert.match(r.stdout, new RegExp(`^usage: qnet ${cmd}`), cmd);
        assert.equal(r.stderr, '', cmd);
      }
      for (const args of [
        ['firewall', '--help'],
        ['firewall', 'work', '--help'],
        ['--help'],
        ['policy', '--help'],
        ['sim', '--help'],
      ]) {
        const r = await qnet(args);
        assert.equal(r.code, 0, args.join(' '));
        assert.match(r.stdout, /usage: qnet/, args.join(' '));
      }
      const version = await qnet(['--version']);
      assert.deepEqual([version.code, version.stdout], [0, 'qnet 0.1.0\n']);
    });

    it('says every usage error as one `qnet: USAGE:` line, without library text', async () => {
      for (const [args, message] of [
        [['frobnicate'], 'unknown command "frobnicate"'],
        [['ls', '--bogus'], 'unknown option --bogus'],
        [['prefs', 'work', '--run-dir'], 'option --run-dir needs a value'],
        [['ls', '--raw-list=yes'], 'option --raw-list takes no value'],
        [['firewall', 'work', 'add', '--before', 'x', 'accept'], '--before takes a rule number, got "x"'],
        [['firewall', 'work', 'list', '--before', '1'], '--before goes with add'],
        [['firewall', 'work', 'del'], 'del needs --rule-no N or a rule'],
        [['firewall', 'work', 'del', '--rule-no', '1', 'accept'], 'del takes --rule-no N or a rule, not both'],
        [['firewall', 'work', 'add', '--raw', 'accept'], '--raw goes with list'],
        [['firewall', 'work', 'frob'], 'unknown firewall action "frob"'],
        [['firewall', '--frob'], 'unknown firewall option "--frob"'],
        [['firewall-parse', 'x'], 'unexpected argument "x"'],
        [['prefs', 'work', 'Bad!', 'x'], 'invalid property name "Bad!"'],
        [['create', 'x', '--standalone', '--disp'], 'give one of --class, --standalone, --disp'],
      ] as const) {
        const r = await qnet([...args]);
        assert.deepEqual([r.code, r.stderr], [64, `qnet: USAGE: ${message} (try --help)\n`], args.join(' '));
      }
    });

    it("says no command as a usage error, and bad values in qnet words, not the schema library's", async () => {
      const none = await qnet([]);
      assert.equal(none.code, 64);
      assert.match(none.stderr, /^usage: qnet COMMAND/);
      assert.match(none.stderr, /\nqnet: USAGE: expected a command \(try --help\)\n$/);
      for (const [args, line] of [
        [['create', 'x'.repeat(40)], 'qnet: BAD_REQUEST: not sent: name: a qube name is at most 31 characters'],
        [
          ['features', 'work', 'f'.repeat(300), '1'],
          'qnet: BAD_REQUEST: not sent: feature: a feature name is at most 256 characters',
        ],
        [
          ['features', 'work', 'f', 'v'.repeat(5000)],
          'qnet: BAD_REQUEST: not sent: value: a feature value is at most 4096 characters',
        ],
      ] as const) {
        const r = await qnet([...args]);
        assert.deepEqual([r.code, r.stderr], [65, `${line}\n`], args.join(' ').slice(0, 40));
      }
      const many = Array.from({ length: 1025 }, () => 'action=drop').join('\n');
      const r = await qnet(['firewall', 'work', 'set'], many);
      assert.deepEqual(
        [r.code, r.stderr],
        [65, 'qnet: BAD_REQUEST: not sent: rules: a qube has at most 1024 firewall rules\n'],
      );
    });

    it('--qubes-exit-codes (or QNET_EXIT_CODES=qubes) gives qvm-* exit codes: 2 for usage, 1 for not found', async () => {
      assert.equal((await qnet(['--qubes-exit-codes', 'ls', '--bogus'])).code, 2);
      assert.equal((await qnet(['prefs', 'ghost', '--qubes-exit-codes'])).code, 1);
      assert.equal((await qnet(['prefs', 'ghost'], '', { QNET_EXIT_CODES: 'qubes' })).code, 1);
      assert.equal((await qnet(['ls', '--bogus'], '', { QNET_EXIT_CODES: 'qubes' })).code, 2);
      assert.equal((await qnet(['--qubes-exit-codes', 'ls', 'work'])).code, 0);
      const sysexits = await qnet(['prefs', 'ghost']);
      assert.deepEqual([sysexits.code, sysexits.stderr], [66, 'qnet: NOT_FOUND: no such qube "ghost"\n']);
    });
  });
});

import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import type { CliIo } from '../../../shared/cli/cli';
import { run } from '../../../policy/cli/policy-command';
import { TempTree } from './policy-fixtures';

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(argv: string[], stdin = ''): Promise<Captured> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  out.on('data', (c: Buffer) => chunks.out.push(c));
  err.on('data', (c: Buffer) => chunks.err.push(c));
  const io: CliIo = { stdin: Readable.from([Buffer.from(stdin)]), stdout: out, stderr: err, env: {} };
  const code = await run(argv, io);
  return { code, stdout: Buffer.concat(chunks.out).toString(), stderr: Buffer.concat(chunks.err).toString() };
}

const SYSINFO = JSON.stringify({
  domains: {
    dom0: { type: 'AdminVM', tags: [], uuid: '00000000-0000-0000-0000-000000000000', power_state: 'Running' },
    work: { type: 'AppVM', tags: [], uuid: 'aaaa', default_dispvm: 'dvm', guivm: 'dom0', power_state: 'Running' },
    vault: { type: 'AppVM', tags: [], uuid: 'bbbb', power_state: 'Halted' },
    dvm: { type: 'AppVM', tags: [], uuid: 'cccc', template_for_dispvms: true },
  },
});

describe('policy/cli/policy-command', () => {
  let tree: TempTree;
  beforeEach(() => {
    tree = new TempTree({ 'sys.json': SYSINFO });
  });
  afterEach(() => tree.dispose());

  const evalArgs = () => ['eval', '--policy-dir', tree.path('pol'), '--system-info', tree.path('sys.json'), '-'];
  const lines = (out: string) =>
    out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it('eval prints one JSON object per query, in order, with every field', async () => {
    tree.write('pol/30-a.policy', 'qubes.S * work vault allow\nqubes.S * work @anyvm ask default_target=dvm\n');
    const queries = [
      { id: 'a', service: 'qubes.S', argument: null, source: 'work', target: 'vault' },
      { id: 'b', service_and_arg: 'qubes.S+x', source: 'work', target: 'dom0' },
      { id: 'c', service: 'qubes.S', source: 'work', target: 'dvm', ask_response: 'allow:dvm' },
    ];
    const res = await cli(evalArgs(), queries.map((q) => JSON.stringify(q)).join('\n') + '\n');
    assert.equal(res.code, 0);
    const [a, b, c] = lines(res.stdout);
    assert.deepEqual(Object.keys(a), [
      'id',
      'decision',
      'rule',
      'target',
      'user',
      'autostart',
      'notify',
      'targets_for_ask',
      'default_target',
      'error',
      'daemon_response',
    ]);
    assert.deepEqual(a, {
      id: 'a',
      decision: 'allow',
      rule: { file: '30-a.policy', line: 1 },
      target: 'vault',
      user: null,
      autostart: true,
      notify: false,
      targets_for_ask: null,
      default_target: null,
      error: null,
      daemon_response:
        'user=DEFAULT\nresult=allow\ntarget=vault\ntarget_uuid=uuid:bbbb\nautostart=True\nrequested_target=vault',
    });
    assert.equal(b.decision, 'deny');
    assert.deepEqual(b.error, { stage: 'match', message: 'no matching rule found' });
    assert.equal(b.daemon_response, 'result=deny');
    assert.equal(c.decision, 'ask');
    assert.deepEqual(c.targets_for_ask, ['@dispvm:dvm', 'dvm', 'vault']);
    assert.equal(c.default_target, 'dvm');
    assert.match(String(c.daemon_response), /\ntarget=dvm\ntarget_uuid=uuid:cccc\n/);
  });

  it('eval denies every query with stage load when the policy is broken', async () => {
    tree.write('pol/30-a.policy', 'qubes.S * work vault allow\nbroken line\n');
    const res = await cli(evalArgs(), '{"id":1,"service":"qubes.S","source":"work","target":"vault"}\n');
    const [r] = lines(res.stdout);
    assert.equal(r.decision, 'deny');
    assert.deepEqual(r.error, {
      stage: 'load',
      message: `${tree.path('pol/30-a.policy')}:2: wrong number of fields`,
    });
  });

  it('eval denies every query when the system info is unusable, as the daemon does', async () => {
    tree.write('pol/30-a.policy', 'qubes.S * work vault allow\n');
    tree.write('sys.json', '{"domains": 3}');
    const res = await cli(evalArgs(), '{"id":1,"service":"qubes.S","source":"work","target":"vault"}\n');
    const [r] = lines(res.stdout);
    assert.equal(r.decision, 'deny');
    assert.deepEqual(r.error, {
      stage: 'load',
      message: 'error getting system info: system info: expected {"domains": {NAME: {...}}}',
    });
    assert.match(res.stderr, /denying everything/);
  });

  it('eval answers a malformed query line with a request-stage deny', async () => {
    tree.write('pol/30-a.policy', '');
    const res = await cli(evalArgs(), 'not json\n{"id":2,"source":"work"}\n');
    const [a, b] = lines(res.stdout);
    assert.deepEqual(a.error, { stage: 'request', message: 'query is not valid JSON' });
    assert.equal(b.id, 2);
    assert.equal(b.decision, 'deny');
  });

  it('eval needs its options', async () => {
    const res = await cli(['eval', '--system-info', tree.path('sys.json')]);
    assert.equal(res.code, 64);
    assert.match(res.stderr, /--policy-dir is required/);
  });

  it('check exits 0 and counts rules on a clean policy', async () => {
    tree.write('pol/30-a.policy', 'qubes.S * work vault allow\n');
    const res = await cli(['check', tree.path('pol')]);
    assert.equal(res.code, 0);
    assert.equal(res.stdout, 'ok: 1 rule\n');
  });

  it('check lists every error with file and line and exits 1', async () => {
    tree.write('pol/30-a.policy', 'qubes.S * work vault allow\nbad\nqubes.S * work vault maybe\n');
    const res = await cli(['check', tree.path('pol')]);
    assert.equal(res.code, 1);
    const f = tree.path('pol/30-a.policy');
    assert.equal(res.stdout, `${f}:2: wrong number of fields\n${f}:3: invalid action: maybe\n`);
  });

  it('--help works for every subcommand', async () => {
    for (const sub of ['eval', 'check', 'serve']) {
      const res = await cli([sub, '--help']);
      assert.equal(res.code, 0);
      assert.match(res.stdout, new RegExp(`usage: qnet policy ${sub}`));
    }
    assert.match((await cli(['--help'])).stdout, /eval .*\n.*\n\s+check/);
  });

  it('rejects an unknown subcommand', async () => {
    const res = await cli(['frobnicate']);
    assert.equal(res.code, 64);
  });
});

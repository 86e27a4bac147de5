import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { PolicyDaemonServer } from '../../../policy/daemon/policy-daemon-server';
import { PolicySource } from '../../../policy/policy-source';
import { TempTree } from '../../unit/policy/policy-fixtures';

/** Sends raw bytes, half-closes, and returns what came back before the server closed. */
function exchange(path: string, bytes: string, halfClose = true): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect(path, () => {
      s.write(bytes);
      if (halfClose) s.end();
    });
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    s.on('error', reject);
  });
}

const sysinfo = (vaultUuid: string) =>
  JSON.stringify({
    domains: {
      dom0: { type: 'AdminVM', tags: [], uuid: '00000000-0000-0000-0000-000000000000', power_state: 'Running' },
      work: { type: 'AppVM', tags: [], uuid: 'w', guivm: 'dom0', power_state: 'Running', default_dispvm: null },
      vault: { type: 'AppVM', tags: [], uuid: vaultUuid, power_state: 'Running' },
    },
  });

describe('policy daemon socket (integration)', () => {
  let tree: TempTree;
  let source: PolicySource;
  let server: PolicyDaemonServer;
  let sock: string;

  /** Replaces a file by rename, as editors and package managers do. */
  const replace = (rel: string, body: string) => {
    const tmp = tree.path(`${rel}.tmp`);
    writeFileSync(tmp, body);
    renameSync(tmp, tree.path(rel));
  };

  beforeEach(async () => {
    tree = new TempTree({
      'sys.json': sysinfo('uuid-a'),
      'pol/30-a.policy': 'qubes.S * work vault allow\nqubes.Ask * work vault ask\n',
    });
    sock = tree.path('policy.sock');
    source = new PolicySource({ policyDirs: [tree.path('pol')], systemInfoPath: tree.path('sys.json'), pollMs: 50 });
    source.start();
    server = new PolicyDaemonServer(source);
    await server.listen(sock);
  });
  afterEach(async () => {
    await server.dispose();
    await source.dispose();
    tree.dispose();
  });

  const request = (extra = '', target = 'vault', svc = 'qubes.S') =>
    `source=work\nintended_target=${target}\nservice_and_arg=${svc}\n${extra}\n`;

  it('evaluates a relayed call as its RemoteVM (requested_source) and says so in policy_source', async () => {
    replace(
      'sys.json',
      JSON.stringify({
        domains: {
          dom0: { type: 'AdminVM', uuid: '00000000-0000-0000-0000-000000000000', power_state: 'Running' },
          work: { type: 'AppVM', uuid: 'w', power_state: 'Running' },
          vault: { type: 'AppVM', uuid: 'v', power_state: 'Running' },
          relay: { type: 'AppVM', uuid: 'r', power_state: 'Running' },
          remote: { type: 'RemoteVM', uuid: 'rm', relayvm: 'relay', transport_rpc: 'qubesair.SSHProxy' },
        },
      }),
    );
    replace(
      'pol/30-a.policy',
      'qubes.S * remote vault allow\nqubes.S * relay vault deny\nqubes.S * @anyvm dom0 allow\n',
    );
    source.refresh();
    const relayed = (requested: string, target = 'vault') =>
      exchange(
        sock,
        `source=relay\nintended_target=${target}\nservice_and_arg=qubes.S\nrequested_source=${requested}\n\n`,
      );
    assert.equal(
      await relayed('remote'),
      'user=DEFAULT\nresult=allow\ntarget=vault\ntarget_uuid=uuid:v\nautostart=True\nrequested_target=vault\npolicy_source=remote',
    );
    // dom0 is answered by name, without target_uuid and without policy_source, as upstream does
    assert.equal(
      await relayed('remote', 'dom0'),
      'user=DEFAULT\nresult=allow\ntarget=dom0\nautostart=True\nrequested_target=dom0',
    );
    // unknown, not a RemoteVM, or relayed by a qube that is not its relay: refused
    assert.equal(await relayed('ghost'), 'result=deny');
    assert.equal(await relayed('work'), 'result=deny');
    assert.equal(
      await exchange(sock, 'source=work\nintended_target=vault\nservice_and_arg=qubes.S\nrequested_source=remote\n\n'),
      'result=deny',
    );
  });

  it('answers an allow byte for byte, without a trailing newline', async () => {
    assert.equal(
      await exchange(sock, request()),
      'user=DEFAULT\nresult=allow\ntarget=vault\ntarget_uuid=uuid:uuid-a\nautostart=True\nrequested_target=vault',
    );
  });

  it('answers without waiting for EOF once the empty line arrives', async () => {
    assert.match(await exchange(sock, request(), false), /^user=DEFAULT\nresult=allow\n/);
  });

  it('treats EOF as the end of the request', async () => {
    assert.match(await exchange(sock, 'source=work\nintended_target=vault\nservice_and_arg=qubes.S'), /result=allow/);
  });

  it('honours just_evaluate and assume_yes_for_ask', async () => {
    assert.equal(await exchange(sock, request('just_evaluate=yes\n')), 'result=allow');
    assert.equal(await exchange(sock, request('', 'vault', 'qubes.Ask')), 'result=deny');
    assert.match(
      await exchange(sock, request('assume_yes_for_ask=yes\n', 'vault', 'qubes.Ask')),
      /^user=DEFAULT\nresult=allow/,
    );
  });

  it('answers result=deny for a refused call', async () => {
    assert.equal(await exchange(sock, request('', 'dom0')), 'result=deny');
  });

  it('closes without a reply on an unknown, repeated or malformed key', async () => {
    assert.equal(await exchange(sock, `domain_id=3\n${request()}`), '');
    assert.equal(await exchange(sock, `source=work\n${request()}`), '');
    assert.equal(await exchange(sock, `garbage\n${request()}`), '');
    assert.equal(await exchange(sock, request('just_evaluate=maybe\n')), '');
    assert.equal(await exchange(sock, 'source=work\n\n'), '');
  });

  it('drops only the connection when answering throws, and keeps serving', async () => {
    let failing = true;
    const flaky = new PolicyDaemonServer({
      current: () => {
        if (failing) throw new Error('snapshot unavailable');
        return source.current();
      },
    });
    const flakySock = tree.path('flaky.sock');
    await flaky.listen(flakySock);
    try {
      assert.equal(await exchange(flakySock, request()), '');
      failing = false;
      assert.match(await exchange(flakySock, request()), /^user=DEFAULT\nresult=allow\n/);
    } finally {
      await flaky.dispose();
    }
  });

  it('stops promptly while a caller holds an unfinished request open', async () => {
    const idle = connect(sock);
    idle.on('error', () => {});
    await new Promise((resolve) => idle.once('connect', resolve));
    idle.write('source=work\n');
    const closed = new Promise((resolve) => idle.once('close', resolve));
    await server.dispose();
    await closed;
    assert.equal(idle.destroyed, true);
  });

  it('reloads the policy when a file changes', async () => {
    replace('pol/30-a.policy', 'qubes.S * work vault deny\n');
    const deadline = Date.now() + 5000;
    let answer = '';
    while (Date.now() < deadline) {
      answer = await exchange(sock, request());
      if (answer === 'result=deny') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(answer, 'result=deny');
  });

  it('denies everything while the policy has an error, then recovers', async () => {
    replace('pol/30-a.policy', 'qubes.S * work vault allow\nbroken\n');
    source.refresh();
    assert.equal(await exchange(sock, request()), 'result=deny');
    replace('pol/30-a.policy', 'qubes.S * work vault allow\n');
    source.refresh();
    assert.match(await exchange(sock, request()), /result=allow/);
  });

  it('each request sees one whole snapshot while reloads happen', async () => {
    const versions = [
      { policy: 'qubes.S * work vault allow\n', info: sysinfo('uuid-a'), user: 'DEFAULT', uuid: 'uuid-a' },
      { policy: 'qubes.S * work vault allow user=b\n', info: sysinfo('uuid-b'), user: 'b', uuid: 'uuid-b' },
    ];
    const valid = new Set(
      versions.map(
        (v) =>
          `user=${v.user}\nresult=allow\ntarget=vault\ntarget_uuid=uuid:${v.uuid}\nautostart=True\nrequested_target=vault`,
      ),
    );
    const answers: Promise<string>[] = [];
    for (let i = 0; i < 40; i++) {
      const v = versions[i % 2];
      replace('sys.json', v.info);
      replace('pol/30-a.policy', v.policy);
      source.refresh();
      for (let j = 0; j < 5; j++) answers.push(exchange(sock, request()));
      await new Promise((r) => setImmediate(r));
    }
    const seen = await Promise.all(answers);
    for (const a of seen) assert.ok(valid.has(a), `mixed or broken answer: ${JSON.stringify(a)}`);
    assert.equal(new Set(seen).size, 2);
  });
});

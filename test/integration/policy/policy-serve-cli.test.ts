import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { TempTree } from '../../unit/policy/policy-fixtures';

const COMMAND = join(__dirname, '..', '..', '..', 'policy', 'cli', 'policy-command.js');
const CLI_IO = join(__dirname, '..', '..', '..', 'shared', 'cli', 'cli.js');

function ask(path: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect(path, () => s.end(text));
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('close', () => resolve(Buffer.concat(chunks).toString()));
    s.on('error', reject);
  });
}

async function waitFor(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('qnet policy serve (process)', () => {
  let tree: TempTree;
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    child = undefined;
    tree.dispose();
  });

  it('serves the socket, answers, and removes it on SIGTERM with status 0', async () => {
    tree = new TempTree({
      'sys.json': JSON.stringify({ domains: { work: { uuid: 'w' }, vault: { uuid: 'v' } } }),
      'pol/30-a.policy': 'qubes.S * work vault allow\n',
    });
    const sock = tree.path('policy.sock');
    const script =
      `require(${JSON.stringify(COMMAND)}).run(process.argv.slice(1), require(${JSON.stringify(CLI_IO)}).processIo())` +
      '.then((c) => { process.exitCode = c; })';
    const argv = ['serve', '--socket', sock, '--policy-dir', tree.path('pol'), '--system-info', tree.path('sys.json')];
    child = spawn(process.execPath, ['-e', script, '--', ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
    const proc = child;
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    await waitFor(() => existsSync(sock));
    assert.equal(
      await ask(sock, 'source=work\nintended_target=vault\nservice_and_arg=qubes.S\n\n'),
      'user=DEFAULT\nresult=allow\ntarget=vault\ntarget_uuid=uuid:v\nautostart=True\nrequested_target=vault',
    );
    proc.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.equal(existsSync(sock), false);
  });
});

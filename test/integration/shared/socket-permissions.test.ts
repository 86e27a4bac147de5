import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/processes';

const UNIX_SOCKET_JS = join(__dirname, '../../../shared/runtime/unix-socket.js');
const NOBODY = 65534;

/**
 * Under umask 0 (the most permissive a unit could leave), listens and closes
 * `cycles` times with mode 0600, as qnetd opens its admin socket; prints the count.
 */
const LISTENER = `
const { createServer } = require('node:net');
const { listenUnix, closeServer } = require(process.argv[1]);
const [path, cycles] = [process.argv[2], Number(process.argv[3])];
process.umask(0);
(async () => {
  for (let i = 0; i < cycles; i++) {
    const server = createServer((s) => s.destroy());
    await listenUnix(server, path, 0o600);
    await closeServer(server, path);
  }
  process.stdout.write(String(cycles));
})().catch((e) => { console.error(e); process.exit(1); });`;

/** An unprivileged user connecting in a tight loop (8 attempts in flight) until SIGTERM; prints its counts. */
const RACER = `
const { connect } = require('node:net');
const path = process.argv[1];
const counts = { connected: 0, attempts: 0, denied: 0 };
let stop = false;
const one = () => {
  if (stop) return;
  counts.attempts++;
  const s = connect(path);
  s.once('connect', () => { counts.connected++; s.destroy(); setImmediate(one); });
  s.once('error', (e) => { if (e.code === 'EACCES') counts.denied++; setImmediate(one); });
};
process.on('SIGTERM', () => { stop = true; process.stdout.write(JSON.stringify(counts)); process.exit(0); });
for (let i = 0; i < 8; i++) one();
process.stdout.write('ready\\n');`;

function collect(child: ReturnType<typeof spawn>): Promise<{ code: number | null; out: string; err: string }> {
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, out, err })));
}

describe('socket permissions (integration, real unprivileged connector)', function () {
  this.timeout(60_000);

  it('a socket created under umask 0 is never reachable by another user, not even while it is being created', async function () {
    if (process.getuid?.() !== 0) this.skip();
    const tmp = tempDir('sockperm');
    try {
      // Like /run/qnet: a directory everyone may traverse, so only the socket's own mode protects it.
      chmodSync(tmp.path, 0o755);
      const path = join(tmp.path, 'admin.sock');
      const racer = spawn('setpriv', [
        `--reuid=${NOBODY}`,
        `--regid=${NOBODY}`,
        '--clear-groups',
        process.execPath,
        '-e',
        RACER,
        path,
      ]);
      const racerDone = collect(racer);
      await new Promise<void>((resolve) => racer.stdout.once('data', () => resolve()));
      const listener = await collect(
        spawn(process.execPath, ['-e', LISTENER, UNIX_SOCKET_JS, path, '1500'], { stdio: 'pipe' }),
      );
      racer.kill('SIGTERM');
      const { out } = await racerDone;
      assert.equal(listener.code, 0, listener.err);
      assert.equal(listener.out, '1500');
      const counts = JSON.parse(out.replace('ready\n', '')) as { connected: number; attempts: number; denied: number };
      // The racer really raced: it found the socket in place and was turned away by its mode.
      assert.ok(counts.denied > 0, `racer never met the socket: ${out}`);
      assert.equal(counts.connected, 0, `an unprivileged user connected: ${out}`);
    } finally {
      tmp.dispose();
    }
  });
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FirewallSyncDocument } from '../../../../services/firewall-sync';
import { encode, unpackStrict } from '../../../../shared/codec/strict-unpackr';
import { rawSocketCall, stopChild, waitFor } from '../../../helpers/processes';
import { AGENT_MAIN, firewallDoc, ProviderAgent, providerDoc, slowNft, useProviderLab } from './provider-agent';
import { INTERNET } from './provider-lab';

/** Every file under `dir`, recursively, as paths relative to it. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

/** Operator faults around the state and run directories (issue 11 points 10 and 12). */
describe('agent state faults (root, real processes)', function () {
  this.timeout(60_000);
  const env = useProviderLab('state-faults', [80, 443], ['ip', 'nft', 'conntrack', 'unshare', 'mount']);

  it('corrupt state files in a read-only state dir: serve starts, keeps the kernel, and answers READ_ONLY', async () => {
    const agent = new ProviderAgent(env.lab, env.dir);
    const state = agent.env.QNET_STATE_DIR as string;
    mkdirSync(state, { recursive: true });
    // What the kernel held before the restart: generation 1 lets port 80 through.
    assert.equal((await agent.service('qubes.FirewallSync', firewallDoc(1, 80))).status, 0);
    // A private mount namespace: corrupt files on a tmpfs over the state dir, then the tmpfs made read-only.
    const script =
      'mount -t tmpfs tmpfs "$1" && echo "{not json" > "$1/qubes.FirewallSync.json" && ' +
      'echo "{not json" > "$1/qubes.NetConfig.json" && mount -o remount,ro "$1" && shift && exec "$@"';
    const serve = spawn(
      'unshare',
      ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', state].concat([
        'ip',
        'netns',
        'exec',
        env.lab.provider.name,
        process.execPath,
        AGENT_MAIN,
        'serve',
      ]),
      { env: { ...process.env, ...agent.env }, stdio: ['ignore', 'inherit', 'pipe'] },
    );
    let stderr = '';
    serve.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const socket = join(agent.env.QNET_RUN_DIR as string, 'agent.sock');
    try {
      await waitFor(() => existsSync(socket) || serve.exitCode !== null, 20_000, 'agent socket');
      assert.equal(serve.exitCode, null, `serve exited: ${stderr}`);
      assert.match(stderr, /qubes\.FirewallSync\.json ignored \(it is not JSON\); it could not be set aside \(EROFS\)/);
      assert.equal(env.lab.probe(INTERNET, 80), 'open', 'the kernel kept what it held');
      const push = async (service: string, doc: unknown) => {
        const desc = Buffer.from(`${service} dom0\0`);
        const { data } = await rawSocketCall(socket, [desc, Buffer.from(encode(doc))]);
        return unpackStrict(data) as { ok: boolean; error?: { code: string; message: string } };
      };
      const fw = await push('qubes.FirewallSync', firewallDoc(2, 443));
      assert.deepEqual(fw.error, {
        code: 'READ_ONLY',
        message: 'qubes.FirewallSync generation 2 is in force but could not be saved: read-only file system (EROFS)',
      });
      assert.equal(env.lab.probe(INTERNET, 443), 'open');
      const net = await push('qubes.NetConfig', providerDoc(2));
      assert.equal(net.error?.code, 'READ_ONLY');
      assert.equal(serve.exitCode, null, 'still serving');
    } finally {
      await stopChild(serve);
    }
  });

  it('SIGKILL during a large nft apply leaves no batch file behind once the agent runs again', async () => {
    const tmp = join(env.dir, 'tmp');
    mkdirSync(tmp);
    const nft = slowNft(env.dir);
    const agent = new ProviderAgent(env.lab, env.dir, { QNET_NFT: nft.path, TMPDIR: tmp });
    // About 300 clients: a batch far above what fits in one nft argument.
    const big: FirewallSyncDocument = {
      generation: 1,
      clients: Array.from({ length: 300 }, (_, i) => ({
        name: `vm${i}`,
        ip: `10.137.${1 + Math.floor(i / 250)}.${(i % 250) + 1}`,
        dns: ['10.139.1.1'],
        rules: [{ action: 'accept' as const, proto: 'tcp' as const, dstports: { from: 443, to: 443 } }],
      })),
    };
    nft.slow(30);
    const child = spawn(
      'ip',
      ['netns', 'exec', env.lab.provider.name, process.execPath, AGENT_MAIN, 'service', 'qubes.FirewallSync'],
      {
        env: {
          ...process.env,
          ...agent.env,
          QREXEC_REMOTE_DOMAIN: 'dom0',
          QREXEC_SERVICE_FULL_NAME: 'qubes.FirewallSync',
        },
        stdio: ['pipe', 'ignore', 'inherit'],
      },
    );
    child.stdin.end(Buffer.from(encode(big)));
    const leftovers = () => [...filesUnder(tmp), ...filesUnder(agent.env.QNET_RUN_DIR as string)];
    try {
      await waitFor(() => leftovers().length > 0 || child.exitCode !== null, 20_000, 'a batch file');
      child.kill('SIGKILL');
      await stopChild(child);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    assert.equal(leftovers().length, 1, 'the killed apply left its batch');
    nft.fast();
    const again = await agent.service('qubes.FirewallSync', firewallDoc(2, 80));
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(leftovers(), [], 'the next run swept the dead process batch');
  });
});

import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { encode, unpackStrict } from '../../../../shared/codec/strict-unpackr';
import { rawSocketCall, runProcess, stopChild, waitFor } from '../../../helpers/processes';
import { AGENT_MAIN, firewallDoc, ProviderAgent, slowNft, useProviderLab } from './provider-agent';
import { INTERNET } from './provider-lab';

interface Reply {
  ok: boolean;
  result?: { appliedGeneration: number };
  error?: { code: string; message: string };
}

/** Issue 11 point 5: an answer says what happened, even when the apply is slow or the disk is full. */
describe('answers that tell the truth (root, real processes)', function () {
  this.timeout(60_000);
  const env = useProviderLab('truthful', [80, 443], ['ip', 'nft', 'conntrack', 'unshare', 'mount']);

  it('an apply that outlives the deadline is answered TIMEOUT_APPLIED_LATER, lands, and a re-push confirms it', async () => {
    // nft made slow on demand: every batch waits for as many seconds as the mark file says.
    const nft = slowNft(env.dir);
    const agent = new ProviderAgent(env.lab, env.dir, { QNET_NFT: nft.path, QNET_ANSWER_DEADLINE_MS: '1000' });
    const socket = join(agent.env.QNET_RUN_DIR as string, 'agent.sock');
    const serve = agent.spawn(['serve']);
    try {
      await waitFor(() => existsSync(socket) || serve.exitCode !== null, 20_000, 'agent socket');
      const push = async () => {
        const desc = Buffer.from('qubes.FirewallSync dom0\0');
        const { data } = await rawSocketCall(socket, [desc, Buffer.from(encode(firewallDoc(2, 443)))], {
          timeoutMs: 15_000,
        });
        return unpackStrict(data) as Reply;
      };
      nft.slow(3);
      const first = await push();
      assert.equal(first.ok, false);
      assert.equal(first.error?.code, 'TIMEOUT_APPLIED_LATER');
      assert.match(first.error?.message ?? '', /generation 2 accepted and still applying/);
      // What the answer promised happens: the rules land without another push.
      await waitFor(() => env.lab.probe(INTERNET, 443, 300) === 'open', 15_000, 'generation 2 in force');
      nft.fast();
      assert.deepEqual(await push(), { ok: true, result: { appliedGeneration: 2, failures: [] } });
    } finally {
      await stopChild(serve);
    }
  });

  it('a full state disk answers NO_SPACE and says the generation is in force but not saved', async () => {
    const agent = new ProviderAgent(env.lab, env.dir);
    const state = agent.env.QNET_STATE_DIR as string;
    mkdirSync(state, { recursive: true });
    // A private mount namespace: a small tmpfs over the state dir, filled up, seen only by this agent.
    const script =
      'mount -t tmpfs -o size=64k tmpfs "$1" && { head -c 1048576 /dev/zero > "$1/fill" 2>/dev/null; true; } && ' +
      'shift && exec "$@"';
    const res = await runProcess(
      'unshare',
      [
        '-m',
        '--propagation',
        'private',
        'sh',
        '-c',
        script,
        'sh',
        state,
        'ip',
        'netns',
        'exec',
        env.lab.provider.name,
        process.execPath,
        AGENT_MAIN,
        'service',
        'qubes.FirewallSync',
      ],
      Buffer.from(encode(firewallDoc(3, 80))),
      { ...agent.env, QREXEC_REMOTE_DOMAIN: 'dom0', QREXEC_SERVICE_FULL_NAME: 'qubes.FirewallSync' },
    );
    const reply = unpackStrict(res.stdout) as Reply;
    assert.equal(res.status, 74, res.stderr);
    assert.equal(reply.error?.code, 'NO_SPACE');
    assert.equal(
      reply.error?.message,
      'qubes.FirewallSync generation 3 is in force but could not be saved: no space left on device (ENOSPC)',
    );
    assert.equal(env.lab.probe(INTERNET, 80), 'open', 'the answer said in force');
  });
});

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { rootSkipReason } from '../../../helpers/netns';
import { stopChild, tempDir, waitFor } from '../../../helpers/processes';
import { firewallDoc, ProviderAgent, providerDoc, slowNft, startProber } from './provider-agent';
import { INTERNET, ProviderLab } from './provider-lab';

const ALLOWED = 80;
const FORBIDDEN = 8080;

/**
 * Issue 11 point 1: whichever path restores a provider's network (boot init,
 * the socket form, the executable form, a restart after a crash), the
 * filtering tables and the saved client chains are in place before forwarding
 * is on. Counted with real connections to a forbidden port during the window.
 */
describe('boot and restart window of a provider (root, real packets)', function () {
  this.timeout(60_000);
  let lab: ProviderLab | undefined;
  let dir: ReturnType<typeof tempDir> | undefined;
  let agent: ProviderAgent;

  before(function () {
    if (rootSkipReason(['ip', 'nft', 'conntrack'])) this.skip();
  });
  beforeEach(async () => {
    lab = new ProviderLab();
    dir = tempDir('boot-window');
    agent = new ProviderAgent(lab, dir.path);
    await lab.listen([ALLOWED, FORBIDDEN]);
    agent.reboot();
  });
  afterEach(() => {
    lab?.dispose();
    dir?.dispose();
  });

  it('init: saved firewall in force before forwarding; no forbidden connection gets through', async () => {
    agent.save('qubes.NetConfig', providerDoc(3));
    agent.save('qubes.FirewallSync', firewallDoc(7, ALLOWED));
    const prober = startProber(lab!, INTERNET, FORBIDDEN);
    const init = await agent.run(['init']);
    const seen = await prober.stop();
    assert.match(init.stderr, /saved generation 3 applied/);
    assert.equal(seen.open, 0, `${seen.open} of ${seen.tries} forbidden connections succeeded`);
    assert.notEqual(lab!.probe(INTERNET, FORBIDDEN, 500), 'open');
    assert.equal(lab!.probe(INTERNET, ALLOWED), 'open');
  });

  it('init without a saved firewall forwards nothing for clients until a firewall document arrives', async () => {
    agent.save('qubes.NetConfig', providerDoc(3));
    await agent.run(['init']);
    assert.equal(lab!.provider.exec('sysctl', ['-n', 'net.ipv4.ip_forward']).trim(), '1');
    assert.equal(lab!.probe(INTERNET, ALLOWED, 500), 'timeout');
    assert.equal(lab!.probe(INTERNET, FORBIDDEN, 500), 'timeout');
    const res = await agent.service('qubes.FirewallSync', firewallDoc(1, ALLOWED));
    assert.equal(res.status, 0, res.stderr);
    assert.equal(lab!.probe(INTERNET, ALLOWED), 'open');
  });

  it('serve after a reboot, then a crash and a restart: no forbidden connection gets through', async () => {
    // Every nft batch takes a second: a window between forwarding and filtering, if any, lasts seconds.
    const nft = slowNft(dir!.path);
    nft.slow(1);
    agent = new ProviderAgent(lab!, dir!.path, { QNET_NFT: nft.path });
    agent.save('qubes.NetConfig', providerDoc(3));
    agent.save('qubes.DnsUpdate', { generation: 2, upstream: ['192.0.2.53'] });
    agent.save('qubes.FirewallSync', firewallDoc(7, ALLOWED));
    const socket = join(agent.env.QNET_RUN_DIR as string, 'agent.sock');
    const prober = startProber(lab!, INTERNET, FORBIDDEN);
    try {
      for (let round = 0; round < 2; round++) {
        const serve = agent.spawn(['serve']);
        await waitFor(() => existsSync(socket) || serve.exitCode !== null, 20_000, 'agent socket');
        assert.equal(serve.exitCode, null, 'agent exited');
        assert.equal(lab!.probe(INTERNET, ALLOWED), 'open');
        serve.kill('SIGKILL');
        await stopChild(serve);
      }
    } finally {
      const seen = await prober.stop();
      assert.equal(seen.open, 0, `${seen.open} of ${seen.tries} forbidden connections succeeded`);
    }
  });

  it('the executable form of qubes.NetConfig restores the saved firewall before it forwards', async () => {
    agent.save('qubes.FirewallSync', firewallDoc(7, ALLOWED));
    const prober = startProber(lab!, INTERNET, FORBIDDEN);
    const res = await agent.service('qubes.NetConfig', providerDoc(4));
    const seen = await prober.stop();
    assert.equal(res.status, 0, res.stderr);
    assert.equal(seen.open, 0, `${seen.open} of ${seen.tries} forbidden connections succeeded`);
    assert.notEqual(lab!.probe(INTERNET, FORBIDDEN, 500), 'open');
    assert.equal(lab!.probe(INTERNET, ALLOWED), 'open');
  });
});

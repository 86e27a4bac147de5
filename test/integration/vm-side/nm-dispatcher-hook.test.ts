import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Netns, rootSkipReason } from '../../helpers/netns';
import { tempDir } from '../../helpers/processes';

const TEMPLATE = join(__dirname, '../../../../vm-side/packaging/nm-dispatcher-dns-update.sh');

describe('NetworkManager dispatcher hook (root, in a namespace)', function () {
  let ns: Netns | undefined;
  const tmp = tempDir('nmhook');
  before(function () {
    const why = rootSkipReason(['ip']);
    if (why) this.skip();
    ns = new Netns('nmhook');
    ns.exec('ip', ['link', 'add', 'wlan0', 'type', 'veth', 'peer', 'name', 'vif9.0']);
  });
  after(() => {
    ns?.dispose();
    tmp.dispose();
  });

  it('puts an uplink that comes up in group 1 (masquerade) and leaves client vifs alone', () => {
    const hook = join(tmp.path, 'hook.sh');
    const called = join(tmp.path, 'called');
    // The agent call is replaced by a marker: this test is about the interface group.
    writeFileSync(
      hook,
      readFileSync(TEMPLATE, 'utf8')
        .replace(/@AGENT_BIN@/g, `touch ${called}; true`)
        .replace(/@[A-Z_]+@/g, '/tmp'),
    );
    const n = ns as Netns;
    n.exec('sh', [hook, 'wlan0', 'up']);
    n.exec('sh', [hook, 'vif9.0', 'up']);
    const groups = Object.fromEntries(
      n.json<{ ifname: string; group: string }[]>('ip', ['-j', 'link', 'show']).map((l) => [l.ifname, l.group]),
    );
    assert.equal(groups['wlan0'], '1');
    assert.equal(groups['vif9.0'], 'default');
    assert.ok(readFileSync(called, 'utf8') === '', 'dns-update ran');
  });
});

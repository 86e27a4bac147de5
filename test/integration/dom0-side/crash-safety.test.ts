import assert from 'node:assert/strict';
import { join } from 'node:path';
import { canonicalJson } from '../../../dom0-side/documents/canonical-json';
import { computeSnapshot } from '../../../dom0-side/documents/network-snapshot';
import { FileInventoryStore } from '../../../dom0-side/inventory/file-inventory-store';
import { DEFAULT_STATE_MAX_BYTES } from '../../../dom0-side/inventory/inventory-store';
import { Qubes } from '../../../dom0-side/sdk/index';
import { waitFor } from '../../helpers/processes';
import { QnetdKit } from './qnetd-kit';

const RUNNING = ['sys-net', 'sys-firewall', 'work', 'personal'];

async function converged(app: Qubes): Promise<boolean> {
  const rows = await app.status();
  return rows.filter((r) => r.power === 'running').every((r) => r.state === 'ok');
}

describe('dom0-side qnetd crash safety', function () {
  this.timeout(60_000);
  let kit: QnetdKit;
  afterEach(async () => kit.dispose());

  it('SIGKILLed while saving: the state is the old or the new one, and running qubes converge after restart', async () => {
    kit = new QnetdKit();
    await kit.start();
    let app = await Qubes.connect({ runDir: kit.runDir });
    await app.domains.create('sys-net', { providesNetwork: true });
    await app.domains.create('sys-firewall', { providesNetwork: true, netvm: 'sys-net' });
    await app.domains.create('work', { netvm: 'sys-firewall' });
    await app.domains.create('personal', { netvm: 'sys-firewall' });
    for (const name of RUNNING) await (await (await app.domains.get(name)).start()).wait();
    const store = new FileInventoryStore({
      path: join(kit.stateDir, 'inventory.json'),
      maxBytes: DEFAULT_STATE_MAX_BYTES,
    });

    for (let round = 1; round <= 3; round++) {
      // Change after change (each one a save), and a SIGKILL at some point in the middle of it.
      const work = await app.domains.get('work');
      let acknowledged = 0;
      let stop = false;
      const writer = (async () => {
        for (let i = 1; !stop; i++) {
          try {
            await work.features.set('counter', String(i));
            await work.firewall.setRules([`action=accept proto=tcp dstports=${1000 + i}`, 'action=drop']);
            acknowledged = i;
          } catch {
            return;
          }
        }
      })();
      await new Promise((r) => setTimeout(r, 40 + round * 37));
      await kit.kill();
      stop = true;
      await writer;
      app.close();
      assert.ok(acknowledged > 0, 'some changes went through before the kill');

      const saved = await store.load();
      const counter = Number(saved.get('work')!.features.counter);
      assert.ok(
        counter === acknowledged || counter === acknowledged + 1,
        `counter ${counter} after ${acknowledged} acknowledged`,
      );
      const before = kit.pushes();
      const highest = Math.max(...before.map((p) => p.request.generation));

      await kit.start();
      app = await Qubes.connect({ runDir: kit.runDir });
      assert.equal(await (await app.domains.get('work')).features.get('counter'), String(counter));
      await waitFor(() => kit.pushes().length > before.length, 10_000, 'pushes after restart');
      let ok = false;
      for (let i = 0; i < 100 && !ok; i++) {
        ok = await converged(app);
        if (!ok) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(ok, 'every running qube acknowledged its documents');

      // What each running qube was sent last is exactly the saved state's document, stamped higher than before.
      const after = kit.pushes().slice(before.length);
      assert.ok(after.every((p) => p.request.generation > highest));
      const last = new Map(after.map((p) => [`${p.target} ${p.service}`, p.request]));
      const expected = computeSnapshot(saved, Date.now()).documents;
      for (const doc of expected.values()) {
        const got = last.get(`${doc.qube} ${doc.service}`);
        assert.ok(got, `${doc.qube} ${doc.service} pushed after restart`);
        const { generation: _g, ...body } = got;
        assert.equal(canonicalJson(body), doc.canonical, `${doc.qube} ${doc.service}`);
      }
    }
    app.close();
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../../shared/logging/logger';
import { FileDocumentStore } from '../../../../vm-side/state/file-document-store';

describe('FileDocumentStore', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'qnet-store-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips documents per service, creating the directory, leaving no temp file', async () => {
    const store = new FileDocumentStore({ stateDir: join(dir, 'state') }, silentLogger);
    assert.equal(await store.load('qubes.NetConfig'), undefined);
    assert.deepEqual(await store.services(), []);
    await store.save('qubes.NetConfig', 3, { generation: 3, qube: 'work' });
    await store.save('qubes.DnsUpdate', 1, { generation: 1, upstream: [] });
    await store.save('qubes.NetConfig', 4, { generation: 4, qube: 'work' });
    assert.deepEqual(await store.load('qubes.NetConfig'), { generation: 4, document: { generation: 4, qube: 'work' } });
    assert.deepEqual(await store.services(), ['qubes.DnsUpdate', 'qubes.NetConfig']);
    assert.deepEqual(readdirSync(join(dir, 'state')).sort(), ['qubes.DnsUpdate.json', 'qubes.NetConfig.json']);
  });

  it('rejects a service name that could leave the state directory', async () => {
    const store = new FileDocumentStore({ stateDir: dir }, silentLogger);
    await assert.rejects(store.save('../etc/passwd', 1, {}), RangeError);
    await assert.rejects(store.load('.hidden'), RangeError);
  });

  it('sets a corrupt state file aside, keeping its bytes, and treats it as absent', async () => {
    const store = new FileDocumentStore({ stateDir: dir }, silentLogger);
    for (const [i, junk] of ['{"generation": 3, "docu', 'null', '{"document": {}}', '[1,2]'].entries()) {
      writeFileSync(join(dir, 'qubes.DnsUpdate.json'), junk);
      assert.equal(await store.load('qubes.DnsUpdate'), undefined, junk);
      const aside = readdirSync(dir).filter((n) => n.startsWith('qubes.DnsUpdate.json.corrupt-'));
      assert.equal(aside.length, i + 1);
      assert.ok(aside.some((n) => readFileSync(join(dir, n), 'utf8') === junk));
      await new Promise((r) => setTimeout(r, 2));
    }
    await store.save('qubes.DnsUpdate', 5, { generation: 5, upstream: [] });
    assert.equal((await store.load('qubes.DnsUpdate'))?.generation, 5);
  });
});

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../../../../shared/logging/logger';
import { FileDocumentStore } from '../../../../vm-side/state/file-document-store';
import {
  DNS_OVERRIDE_FILE,
  FileDnsOverrideStore,
  LOCAL_STATE_SUBDIR,
} from '../../../../vm-side/state/file-dns-override-store';
import { tempDir } from '../../../helpers/processes';

describe('FileDnsOverrideStore', () => {
  const tmp = tempDir('dns-override');
  after(() => tmp.dispose());
  let n = 0;
  const fresh = () => {
    const stateDir = join(tmp.path, `s${++n}`);
    return { stateDir, store: new FileDnsOverrideStore({ stateDir }, silentLogger) };
  };
  const override = { upstream: ['198.51.100.153'], source: 'upstream' as const, setAt: '2026-12-03T15:00:00.000Z' };

  it('keeps an override across instances (an agent restart) until it is cleared', async () => {
    const { stateDir, store } = fresh();
    assert.equal(await store.load(), undefined);
    await store.save(override);
    assert.deepEqual(await new FileDnsOverrideStore({ stateDir }, silentLogger).load(), override);
    await store.clear();
    assert.equal(await store.load(), undefined);
    await store.clear();
  });

  it('is not listed as a service document', async () => {
    const { stateDir, store } = fresh();
    await store.save(override);
    assert.deepEqual(await new FileDocumentStore({ stateDir }, silentLogger).services(), []);
  });

  for (const [what, text] of [
    ['not JSON', '{'],
    ['a bad address', JSON.stringify({ ...override, upstream: ['10.139.1.999'] })],
    ['an unknown key', JSON.stringify({ ...override, extra: 1 })],
    ['too large', ' '.repeat(17 * 1024)],
  ] as const) {
    it(`a file that is ${what} is unreadable (closed), and stays for the user to see`, async () => {
      const { stateDir, store } = fresh();
      const file = join(stateDir, LOCAL_STATE_SUBDIR, DNS_OVERRIDE_FILE);
      mkdirSync(join(stateDir, LOCAL_STATE_SUBDIR), { recursive: true });
      writeFileSync(file, text);
      assert.equal(await store.load(), 'unreadable');
      assert.equal(readFileSync(file, 'utf8'), text);
    });
  }
});

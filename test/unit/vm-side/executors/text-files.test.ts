import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { container } from 'tsyringe';
import { NodeTextFiles, TextFileTooLargeError } from '../../../../vm-side/executors/text-files';

describe('NodeTextFiles: files a user edits are read whole or not at all', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'qnet-textfiles-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const files = (maxBytes: number) => Object.assign(new NodeTextFiles(), { maxBytes });

  it('reads a file at the cap, refuses one a byte over it with a one-line error, and reads a missing one as undefined', async () => {
    writeFileSync(join(dir, 'at'), 'x'.repeat(16));
    writeFileSync(join(dir, 'over'), 'x'.repeat(17));
    assert.equal(await files(16).read(join(dir, 'at')), 'x'.repeat(16));
    await assert.rejects(files(16).read(join(dir, 'over')), (err: unknown) => {
      assert.ok(err instanceof TextFileTooLargeError);
      assert.equal(err.code, 'APPLY_FAILED');
      assert.equal(err.message, `${join(dir, 'over')} is larger than 16 bytes: not read`);
      return true;
    });
    assert.equal(await files(16).read(join(dir, 'absent')), undefined);
  });

  it('readAll fails on an oversized listing instead of skipping it (half a protected list unprotects the rest)', async () => {
    mkdirSync(join(dir, 'listings'));
    writeFileSync(join(dir, 'listings', 'a'), '/etc/resolv.conf\n');
    writeFileSync(join(dir, 'listings', 'b'), 'y'.repeat(64));
    mkdirSync(join(dir, 'listings', 'c-directory'));
    assert.deepEqual(await files(1024).readAll(join(dir, 'listings')), ['/etc/resolv.conf\n', 'y'.repeat(64)]);
    await assert.rejects(files(32).readAll(join(dir, 'listings')), TextFileTooLargeError);
  });

  it('is built by the container with no arguments', () => {
    assert.ok(container.resolve(NodeTextFiles).maxBytes >= 64 * 1024);
  });
});

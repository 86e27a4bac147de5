import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseApiRule } from '../../../../dom0-side/firewall/parse-api-rule';
import { FileInventoryStore } from '../../../../dom0-side/inventory/file-inventory-store';
import { Inventory } from '../../../../dom0-side/inventory/inventory';
import { parseStoredText, toStoredText } from '../../../../dom0-side/inventory/inventory-codec';
import {
  CorruptStateError,
  StateTooLargeError,
  UnreadableStateError,
} from '../../../../dom0-side/inventory/state-file-errors';
import { defaultInstall, qube } from '../qube-fixture';

describe('dom0-side/inventory FileInventoryStore', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qnet-inventory-'));
    path = join(dir, 'inventory.json');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const store = (maxBytes = 1024 * 1024) => new FileInventoryStore({ path, maxBytes });

  it('loads an empty inventory when nothing was saved yet', async () => {
    assert.equal((await store().load()).size, 0);
  });

  it('round-trips every field, rules as Admin API lines, null and [] firewalls apart', async () => {
    const inv = Inventory.of([
      ...defaultInstall().map((q) => (q.name === 'work' ? { ...q, firewall: [] } : q)),
      qube('disp9', 40, {
        klass: 'DispVM',
        dispid: 9,
        netvm: 'sys-firewall',
        power: 'halted',
        features: { ipv6: '' },
        tags: ['audio', 'created-by-dom0'],
        ip: '10.200.0.9',
        ip6: 'fd00::9',
        firewall: [parseApiRule('action=accept proto=tcp dsthost=example.org dstports=443 comment=web x')],
      }),
    ]);
    await store().save(inv);
    const loaded = await store().load();
    const plain = (i: Inventory) => i.list().map((q) => ({ ...q, features: { ...q.features } }));
    assert.deepEqual(plain(loaded), plain(inv));
    assert.equal(loaded.get('work')?.firewall?.length, 0);
    assert.equal(loaded.get('personal')?.firewall, undefined);
    const text = await readFile(path, 'utf8');
    assert.match(text, /"action=accept dsthost=example.org proto=tcp dstports=443-443 comment=web x"/);
  });

  it('round-trips default_netvm, which properties are at their default, and a mac', () => {
    const qubes = defaultInstall().map((q) =>
      q.name === 'work' ? { ...q, netvmIsDefault: true, providesNetworkIsDefault: true, mac: '00:16:3e:5e:6c:44' } : q,
    );
    const inv = Inventory.of(qubes, { defaultNetvm: 'sys-firewall' });
    const text = toStoredText(inv);
    assert.match(text, /"default_netvm": "sys-firewall"/);
    const back = parseStoredText(text);
    assert.equal(back.defaultNetvm, 'sys-firewall');
    const plainWork = (i: Inventory) => ({ ...i.get('work')!, features: { ...i.get('work')!.features } });
    assert.deepEqual(plainWork(back), plainWork(inv));
    assert.equal(back.get('personal')!.netvmIsDefault, undefined);
    // A state file from before these fields still loads: no default_netvm, nothing at its default.
    assert.equal(parseStoredText(toStoredText(Inventory.of(defaultInstall()))).defaultNetvm, null);
  });

  it('reports corrupt state clearly and leaves the file untouched', async () => {
    const cases: [string, RegExp][] = [
      ['{"format": "qnet-inventory", "version": 1, "qubes": [', /not JSON/],
      ['{"format": "qnet-inventory", "version": 2, "qubes": []}', /version/],
      ['{"format": "qnet-inventory", "version": 1, "qubes": [], "extra": 1}', /unknown key/],
      [
        toStoredText(Inventory.of([qube('a', 1)])).replace('"netvm": null', '"netvm": "ghost"'),
        /netvm "ghost" does not exist/,
      ],
    ];
    for (const [text, reason] of cases) {
      await writeFile(path, text);
      await assert.rejects(store().load(), (err: unknown) => {
        assert.ok(err instanceof CorruptStateError, String(err));
        assert.match(err.message, reason);
        assert.match(err.message, /left untouched/);
        return true;
      });
      assert.equal(await readFile(path, 'utf8'), text);
    }
    await writeFile(path, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
    await assert.rejects(store().load(), /not UTF-8/);
  });

  it('loads a stored rule it now refuses as that qube failing closed, keeping the line verbatim', async () => {
    const text = toStoredText(Inventory.of([qube('a', 1, { firewall: [] })])).replace(
      '"firewall": []',
      '"firewall": ["action=maybe", "action=accept"]',
    );
    await writeFile(path, text);
    const a = (await store().load()).get('a')!;
    assert.deepEqual(a.firewall, []);
    assert.deepEqual(a.unparsedFirewall, {
      lines: ['action=maybe', 'action=accept'],
      error: 'stored rule 0 is refused: action: expected accept or drop, got "maybe"',
    });
    await store().save(await store().load());
    assert.match(await readFile(path, 'utf8'), /"action=maybe",\s*"action=accept"/);
  });

  it('refuses a state file above the cap, and refuses to write one', async () => {
    const inv = Inventory.of(defaultInstall());
    await store().save(inv);
    const size = Buffer.byteLength(toStoredText(inv));
    await assert.rejects(store(size - 1).load(), StateTooLargeError);
    await assert.rejects(store(size - 1).save(inv), StateTooLargeError);
    assert.equal((await store(size).load()).size, 4);
  });

  it('reports an unreadable path', async () => {
    await mkdir(path);
    await assert.rejects(
      store().load(),
      (err: unknown) => err instanceof UnreadableStateError && /not a regular file/.test(err.message),
    );
  });

  it('refuses a FIFO or a device in its place at once, naming what it is', async () => {
    execFileSync('mkfifo', [path]);
    await assert.rejects(
      store().load(),
      (err: unknown) => err instanceof UnreadableStateError && /it is a FIFO, not a regular file/.test(err.message),
    );
    await rm(path);
    await symlink('/dev/zero', path);
    await assert.rejects(
      store().load(),
      (err: unknown) => err instanceof UnreadableStateError && /it is a character device/.test(err.message),
    );
  });

  it('leaves the old or the new state, never a broken one, when killed while saving', async function () {
    this.timeout(60_000);
    const child = join(__dirname, 'save-loop-child.js');
    await store(64 * 1024 * 1024).save(Inventory.of([qube('q0', 1)]));
    const seen = new Set<string>();
    for (let round = 0; round < 12; round++) {
      const proc = spawn(process.execPath, [child, path, '300'], { stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        await new Promise<void>((resolve, reject) => {
          proc.once('error', reject);
          proc.once('exit', (code) => reject(new Error(`save loop exited on its own (${code})`)));
          proc.stdout.once('data', () => resolve());
        });
        // Kill at a different moment each round, mid-write or mid-rename.
        await new Promise((r) => setTimeout(r, 5 + ((round * 17) % 60)));
      } finally {
        if (proc.exitCode === null && proc.signalCode === null) {
          const exited = new Promise((r) => proc.once('exit', r));
          proc.kill('SIGKILL');
          await exited;
        }
      }
      const loaded = await store(64 * 1024 * 1024).load();
      assert.equal(loaded.size, 300);
      const gens = new Set(loaded.list().map((q) => q.features.gen));
      assert.equal(gens.size, 1, 'one save, never a mix');
      seen.add([...gens][0]);
    }
    // Some kill landed after several saves, so the loop really was interrupted mid-run.
    assert.ok(
      [...seen].some((gen) => Number(gen) > 1),
      `generations seen: ${[...seen].join(', ')}`,
    );
    const litter = (await readdir(dir)).filter((n) => n.endsWith('.tmp'));
    assert.deepEqual(litter, [], 'temporary files of killed writers are removed on load');
  });

  it("removes only dead writers' temporary files", async () => {
    await store().save(Inventory.of([qube('a', 1)]));
    const dead = join(dir, '.inventory.json.999999999.1.tmp');
    const live = join(dir, `.inventory.json.${process.pid}.1.tmp`);
    const other = join(dir, '.other.json.999999999.1.tmp');
    for (const f of [dead, live, other]) await writeFile(f, 'partial');
    assert.equal((await store().load()).size, 1);
    assert.deepEqual((await readdir(dir)).sort(), [
      `.inventory.json.${process.pid}.1.tmp`,
      '.other.json.999999999.1.tmp',
      'inventory.json',
    ]);
  });
});

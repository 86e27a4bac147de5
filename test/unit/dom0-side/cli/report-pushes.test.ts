import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import type { PushResult, PushTarget } from '../../../../services/admin/admin-schemas';
import type { CliIo } from '../../../../shared/cli/cli';
import { reportPushes } from '../../../../dom0-side/cli/commands/cli-kit';
import type { PushBatch, WaitOptions } from '../../../../dom0-side/sdk/push-batch';

const targets: PushTarget[] = [
  { qube: 'sys-net', service: 'qubes.NetConfig', generation: 5, push: 1 },
  { qube: 'work', service: 'qubes.NetConfig', generation: 6, push: 2 },
];

/** A batch whose wait reports progress twice, then the given final outcomes. */
function batch(final: PushResult['outcome'][], complete = true): PushBatch {
  const results = (outcomes: PushResult['outcome'][]): PushResult[] =>
    targets.map((t, i) => ({
      ...t,
      outcome: outcomes[i],
      applied: outcomes[i] === 'done' ? t.generation : null,
      ...(outcomes[i] === 'failed' ? { error: { code: 'TIMEOUT', message: 'qubes.NetConfig on work timed out' } } : {}),
    }));
  return {
    pushes: targets,
    async wait(opts: WaitOptions = {}) {
      opts.onProgress?.(results(['done', 'pending']));
      const r = results(final);
      opts.onProgress?.(r);
      return { complete, results: r, failed: r.filter((x) => x.outcome === 'failed') };
    },
  } as unknown as PushBatch;
}

function io(tty: boolean) {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY: tty });
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const cli: CliIo = { stdin: Readable.from([]), stdout, stderr, env: {} };
  return { cli, out: () => out, err: () => err };
}

describe('dom0-side/cli reportPushes', () => {
  it('draws a progress bar on a terminal, then prints the result table', async () => {
    const t = io(true);
    assert.equal(await reportPushes(batch(['done', 'done']), t.cli, {}), 0);
    assert.match(t.err(), /^\r\[#{15}\.{15}\] 1\/2 pushes\r\[#{30}\] 2\/2 pushes\n$/);
    assert.equal(
      t.out(),
      [
        'QUBE     SERVICE          GENERATION  RESULT  DETAIL',
        'sys-net  qubes.NetConfig  5           done',
        'work     qubes.NetConfig  6           done',
        '',
      ].join('\n'),
    );
  });

  it('keeps stderr quiet when it is not a terminal, and exits 70 when a push failed', async () => {
    const t = io(false);
    assert.equal(await reportPushes(batch(['done', 'failed']), t.cli, {}), 70);
    assert.equal(t.err(), 'qnet: APPLY_FAILED: 1 of 2 pushes failed\n');
    assert.match(t.out(), /\nwork +qubes\.NetConfig +6 +failed +TIMEOUT: qubes\.NetConfig on work timed out\n$/);
  });

  it('prints JSON with --json and exits 75 when pushes are still pending', async () => {
    const t = io(false);
    assert.equal(
      await reportPushes(batch(['done', 'pending'], false), t.cli, { json: true, timeout: '1' }, { qube: 'work' }),
      75,
    );
    const parsed = JSON.parse(t.out()) as { qube: string; complete: boolean; results: { outcome: string }[] };
    assert.deepEqual(
      [parsed.qube, parsed.complete, parsed.results.map((r) => r.outcome)],
      ['work', false, ['done', 'pending']],
    );
    assert.equal(t.err(), 'qnet: TIMEOUT: pushes still pending after 1 s\n');
  });

  it('does not wait with --no-wait', async () => {
    const t = io(false);
    const b = batch(['done', 'done']);
    let waited = false;
    const spy = { pushes: b.pushes, wait: async () => ((waited = true), b.wait()) } as unknown as PushBatch;
    assert.equal(await reportPushes(spy, t.cli, { 'no-wait': true, json: true }), 0);
    assert.equal(waited, false);
    assert.equal((JSON.parse(t.out()) as { pushes: unknown[] }).pushes.length, 2);
  });
});

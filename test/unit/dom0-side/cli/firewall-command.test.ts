import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { CliIo } from '../../../../shared/cli/cli';
import { createFirewallCommand } from '../../../../dom0-side/cli/commands/firewall-command';

async function runWith(argv: string[], stdin: string, nowMs = 1_500_000_000_000) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const io: CliIo = { stdin: Readable.from([Buffer.from(stdin)]), stdout, stderr, env: {} };
  const code = await createFirewallCommand(() => nowMs)(argv, io);
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

describe('dom0-side/cli firewall command', () => {
  it('prints one JSON object per input line, in input order, with exact keys', async () => {
    const input = [
      'action=drop expire=2000000000 dst4=10.0.0.0/8 proto=tcp dstports=443 comment=x',
      'action=accept dst4=1.2.3.4 expire=1000',
      'action=accept proto=udp dstports=70000',
    ].join('\n');
    const res = await runWith(['--parse'], `${input}\n`);
    assert.equal(res.code, 0);
    assert.equal(
      res.stdout,
      [
        '{"input":"action=drop expire=2000000000 dst4=10.0.0.0/8 proto=tcp dstports=443 comment=x","ok":true,"api":"action=drop expire=2000000000 dst4=10.0.0.0/8 proto=tcp dstports=443-443 comment=x"}',
        '{"input":"action=accept dst4=1.2.3.4 expire=1000","ok":true,"api":null,"expired":true}',
        '{"input":"action=accept proto=udp dstports=70000","ok":false,"error":"dstports: ports out of range 0-65535"}',
        '',
      ].join('\n'),
    );
  });
  it('reads the CLI form with --cli and uses the injected clock for expiry', async () => {
    const res = await runWith(
      ['--parse', '--cli'],
      'accept proto=tcp dsthost=example.org dstports=443\r\naccept expire=+10',
      1_000_000,
    );
    const lines = res.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines, [
      {
        input: 'accept proto=tcp dsthost=example.org dstports=443',
        ok: true,
        api: 'action=accept dsthost=example.org proto=tcp dstports=443-443',
      },
      { input: 'accept expire=+10', ok: true, api: 'action=accept expire=1010' },
    ]);
    const later = await runWith(['--parse'], 'action=accept expire=1010\n', 1_010_001);
    assert.deepEqual(JSON.parse(later.stdout), {
      input: 'action=accept expire=1010',
      ok: true,
      api: null,
      expired: true,
    });
  });
  it('reports an empty line in the middle as an error and prints nothing for empty input', async () => {
    const res = await runWith(['--parse'], 'action=accept\n\naction=drop\n');
    assert.deepEqual(
      res.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { ok: boolean }).ok),
      [true, false, true],
    );
    assert.equal((await runWith(['--parse'], '')).stdout, '');
  });
  it('has --help at both levels and refuses unknown subcommands and options', async () => {
    const top = await runWith(['--help'], '');
    assert.equal(top.code, 0);
    assert.match(top.stdout, /--parse\s+validate and normalize/);
    const sub = await runWith(['--parse', '--help'], '');
    assert.equal(sub.code, 0);
    assert.match(sub.stdout, /usage: qnet firewall-parse \[--cli\]/);
    await assert.rejects(runWith(['--frobnicate'], ''), /unknown firewall option "--frobnicate"/);
    await assert.rejects(runWith(['--parse', '--bogus'], ''), /bogus/);
    assert.equal((await runWith([], '')).code, 64);
  });
});

describe('dom0-side/cli qnet firewall (through main.js)', () => {
  it('is dispatched by the qnet command table and reads stdin', async function () {
    const main = join(__dirname, '..', '..', '..', '..', 'dom0-side', 'cli', 'main.js');
    const child = spawn(process.execPath, [main, 'firewall-parse', '--cli'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stdin.end('accept proto=tcp dsthost=example.org dstports=443\ndrop 10.0.0.0/33\n');
    const code = await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(code, 0);
    assert.deepEqual(
      Buffer.concat(out)
        .toString()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
      [
        {
          input: 'accept proto=tcp dsthost=example.org dstports=443',
          ok: true,
          api: 'action=accept dsthost=example.org proto=tcp dstports=443-443',
        },
        { input: 'drop 10.0.0.0/33', ok: false, error: 'dsthost: prefix length for IPv4 must be at most 32' },
      ],
    );
  });
});

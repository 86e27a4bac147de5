import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A temporary directory removed by `dispose()`. */
export function tempDir(label: string): { path: string; dispose(): void } {
  const path = mkdtempSync(join(tmpdir(), `qnet-${label}-`));
  return { path, dispose: () => rmSync(path, { recursive: true, force: true }) };
}

export async function waitFor(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Starts a long-running node script and waits for its socket to appear. */
export async function startSocketProcess(script: string, args: string[], socket: string, env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await waitFor(() => existsSync(socket) || child.exitCode !== null, 5000, socket);
  if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}`);
  return { child, stop: () => stopChild(child) };
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 2000).unref();
  });
}

/** Runs a process to completion with `input` on stdin. */
export function runProcess(file: string, args: string[], input: Buffer, env: NodeJS.ProcessEnv = {}, endStdin = true) {
  return new Promise<{ status: number | null; stdout: Buffer; stderr: string }>((resolve) => {
    const child = spawn(file, args, { env: { ...process.env, ...env } });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.stdin.on('error', () => {});
    if (endStdin) child.stdin.end(input);
    else child.stdin.write(input);
    child.once('close', (status) => resolve({ status, stdout: Buffer.concat(out), stderr: err }));
  });
}

/**
 * Speaks raw bytes to a Unix socket: writes `chunks`, half-closes unless told
 * not to, and collects everything until the peer closes (or `timeoutMs`).
 */
export function rawSocketCall(path: string, chunks: Buffer[], opts: { end?: boolean; timeoutMs?: number } = {}) {
  return new Promise<{ data: Buffer; closedByPeer: boolean }>((resolve, reject) => {
    const sock = connect(path);
    const got: Buffer[] = [];
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ data: Buffer.concat(got), closedByPeer: false });
    }, opts.timeoutMs ?? 5000);
    sock.on('connect', () => {
      for (const c of chunks) sock.write(c);
      if (opts.end !== false) sock.end();
    });
    sock.on('data', (c: Buffer) => got.push(c));
    sock.on('error', (e) => {
      clearTimeout(timer);
      if (got.length) resolve({ data: Buffer.concat(got), closedByPeer: true });
      else reject(e);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(got), closedByPeer: true });
    });
  });
}

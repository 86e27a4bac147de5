import { spawn, type ChildProcess } from 'node:child_process';
import type { Netns } from './netns';

/** A dnsmasq in a namespace, answering only its own names (no upstream, no /etc/hosts). */
export interface Dnsmasq {
  /** SIGHUP: dnsmasq empties its cache and reads its `--addn-hosts` files again. */
  reload(): void;
  stop(): void;
}

/** Starts dnsmasq on 127.0.0.1:53 inside `ns` with `args` added; resolves once it serves. */
export async function startDnsmasq(ns: Netns, args: readonly string[]): Promise<Dnsmasq> {
  const child: ChildProcess = spawn(
    'ip',
    [
      ...['netns', 'exec', ns.name, 'dnsmasq', '--no-daemon', '--no-resolv', '--no-hosts', '--bind-interfaces'],
      ...['--listen-address=127.0.0.1', '--port=53', '--pid-file=', ...args],
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      child.stderr?.on('data', (d: Buffer) => d.toString().includes('started') && resolve());
      child.once('exit', (code) => reject(new Error(`dnsmasq exited with ${code}`)));
    });
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  // `ip netns exec` execs dnsmasq in place, so these signals reach dnsmasq itself.
  return { reload: () => void child.kill('SIGHUP'), stop: () => void child.kill('SIGKILL') };
}
